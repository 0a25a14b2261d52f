import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';
import { newId } from '../../src/core/id';
import { tempDir } from '../helpers/server';

// A county server's uplink settings (MINSHENG_UPSTREAM…): all or none, each checked at start.

const base = (dir: string) => ({ PORT: '0', MINSHENG_DATA_DIR: dir, MINSHENG_STATIC_DIR: '' });

describe('MINSHENG_UPSTREAM', () => {
  it('is off by default, and takes a county’s address, key id and key file', () => {
    const dir = tempDir();
    expect(loadConfig(base(dir)).upstream).toBeNull();
    writeFileSync(path.join(dir, 'uplink-key.pem'), 'key');
    const keyId = newId();
    expect(loadConfig({ ...base(dir), MINSHENG_UPSTREAM: 'wss://city.example', MINSHENG_UPSTREAM_KEY_ID: keyId }).upstream).toEqual({ url: 'wss://city.example/sync', keyId, keyFile: path.join(dir, 'uplink-key.pem'), pingMs: 15_000 });
  });

  it('answers a wrong setting with an error that names what to fix', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'uplink-key.pem'), 'key');
    const keyId = newId();
    const cases: [Record<string, string>, RegExp][] = [
      [{ MINSHENG_UPSTREAM_KEY_ID: keyId }, /without MINSHENG_UPSTREAM/],
      [{ MINSHENG_UPSTREAM: 'https://city.example/sync', MINSHENG_UPSTREAM_KEY_ID: keyId }, /wss:\/\//],
      [{ MINSHENG_UPSTREAM: 'not a url', MINSHENG_UPSTREAM_KEY_ID: keyId }, /sync address/],
      [{ MINSHENG_UPSTREAM: 'wss://city.example/sync' }, /KEY_ID/],
      [{ MINSHENG_UPSTREAM: 'wss://city.example/sync', MINSHENG_UPSTREAM_KEY_ID: keyId, MINSHENG_UPSTREAM_KEY: path.join(dir, 'none.pem') }, /uplink:key/],
      [{ MINSHENG_UPSTREAM: 'wss://city.example/sync', MINSHENG_UPSTREAM_KEY_ID: keyId, MINSHENG_REGION: '371300' }, /only a county server/],
      [{ MINSHENG_UPSTREAM: 'wss://city.example/sync', MINSHENG_UPSTREAM_KEY_ID: keyId, MINSHENG_UPSTREAM_PING_MS: '10' }, /PING_MS/],
    ];
    for (const [env, message] of cases) {
      expect(() => loadConfig({ ...base(dir), ...env }), JSON.stringify(env)).toThrow(ConfigError);
      expect(() => loadConfig({ ...base(dir), ...env }), JSON.stringify(env)).toThrow(message);
    }
  });
});
