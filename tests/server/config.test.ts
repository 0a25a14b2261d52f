import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { DEFAULT_SCORECARD } from '../../src/core/scorecard';
import { ConfigError, loadConfig } from '../../server/config';
import { tempDir } from '../helpers/server';

describe('deadline policy configuration', () => {
  it('defaults to the seeded county’s own rules', () => {
    expect(loadConfig({}).policy.name).toBe('lanling');
    expect(loadConfig({ MINSHENG_COUNTY: '511781' }).policy.name).toBe('wanyuan');
    expect(loadConfig({ MINSHENG_COUNTY: '370402' }).policy.name).toBe('linyi');
  });

  it('takes a preset by name and refuses an unknown one', () => {
    expect(loadConfig({ MINSHENG_DEADLINE_POLICY: 'wanyuan' }).policy).toEqual(POLICY_PRESETS.wanyuan);
    expect(() => loadConfig({ MINSHENG_DEADLINE_POLICY: 'fast' })).toThrow(/unknown deadline preset "fast"/);
  });

  it('reads a JSON file and names the field that is wrong', () => {
    const dir = tempDir();
    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ ...POLICY_PRESETS.linyi, name: 'county-x', dispatchDays: 0.5 }));
    expect(loadConfig({ MINSHENG_DEADLINE_POLICY: good }).policy).toMatchObject({ name: 'county-x', dispatchDays: 0.5 });

    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...POLICY_PRESETS.linyi, hours: { start: 600, end: 540 } }));
    expect(() => loadConfig({ MINSHENG_DEADLINE_POLICY: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ MINSHENG_DEADLINE_POLICY: bad })).toThrow(/hours/);

    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{ "name": ');
    expect(() => loadConfig({ MINSHENG_DEADLINE_POLICY: broken })).toThrow(/cannot read/);
  });

  it('reads the red/black scorecard from a JSON file and names the field that is wrong', () => {
    expect(loadConfig({}).scorecard).toEqual(DEFAULT_SCORECARD);
    const dir = tempDir();
    const good = path.join(dir, 'card.json');
    writeFileSync(good, JSON.stringify({ ...DEFAULT_SCORECARD, red: 5, metrics: { ...DEFAULT_SCORECARD.metrics, repeat: { weight: 0, parts: {} } } }));
    expect(loadConfig({ MINSHENG_SCORECARD: good }).scorecard).toMatchObject({ red: 5, metrics: { repeat: { weight: 0 } } });
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...DEFAULT_SCORECARD, metrics: { ...DEFAULT_SCORECARD.metrics, speed: { weight: 30, parts: { speedy: 1 } } } }));
    expect(() => loadConfig({ MINSHENG_SCORECARD: bad })).toThrow(/MINSHENG_SCORECARD: metrics\.speed\.parts/);
  });

  it('refuses a malformed scan interval', () => {
    expect(loadConfig({}).scanIntervalMs).toBe(300_000);
    expect(loadConfig({ MINSHENG_SCAN_INTERVAL_MS: '0' }).scanIntervalMs).toBe(0);
    expect(() => loadConfig({ MINSHENG_SCAN_INTERVAL_MS: 'soon' })).toThrow(/MINSHENG_SCAN_INTERVAL_MS/);
  });
});

describe('map tile configuration', () => {
  it('is off by default and, when set, allows exactly the tile origin in the security policy', async () => {
    const { securityHeaders } = await import('../../server/http/headers');
    expect(loadConfig({}).tiles).toBeNull();
    expect(securityHeaders(null)['content-security-policy']).toContain("img-src 'self' data: blob:;");
    const tiles = loadConfig({ MINSHENG_TILE_URL: 'https://{s}.tiles.example.org/{z}/{x}/{y}.png', MINSHENG_TILE_ATTRIBUTION: '© Example' }).tiles;
    expect(tiles).toMatchObject({ origin: 'https://*.tiles.example.org' });
    const csp = securityHeaders(tiles!.origin)['content-security-policy'];
    expect(csp).toContain("img-src 'self' data: blob: https://*.tiles.example.org;");
    expect(csp).toContain("connect-src 'self' https://*.tiles.example.org;");
    expect(() => loadConfig({ MINSHENG_TILE_URL: 'http://x.org/{z}/{x}/{y}.png', MINSHENG_TILE_ATTRIBUTION: 'x' })).toThrow(/MINSHENG_TILE_URL: .*https/);
  });
});
