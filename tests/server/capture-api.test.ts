import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { DEFAULT_KEYWORDS, classify, type KeywordRule } from '../../src/core/classify';
import type { Region } from '../../src/core/regions';
import { regionMatches } from '../../src/core/regions';
import { login, type Login } from '../helpers/clients';
import { tempDir } from '../helpers/server';

// The REST side of field capture: the admin-edited keyword library and the village
// picker's pinyin initials.

let server: RunningServer;
const logins: Record<string, Login> = {};
const call = (who: string, path: string, init: RequestInit = {}) =>
  fetch(server.url + path, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${logins[who]!.token}`, ...(init.headers as Record<string, string>) } });

beforeAll(async () => {
  server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }));
  for (const u of ['admin', 'town', 'grid']) logins[u] = await login(server, u);
});
afterAll(() => server.close());

describe('keyword library', () => {
  it('serves the seeded library until an administrator edits it', async () => {
    const body = (await (await call('grid', '/api/keywords')).json()) as { rules: unknown[] };
    expect(body.rules).toHaveLength(DEFAULT_KEYWORDS.length);
  });

  it('takes an edit from an administrator only, refusing bad rules with the reason', async () => {
    const rules: KeywordRule[] = [...DEFAULT_KEYWORDS, { phrase: '光伏板', category: 'infra.power', dept: 'power' }];
    const byTown = await call('town', '/api/admin/keywords', { method: 'PUT', body: JSON.stringify({ rules }) });
    expect(byTown.status).toBe(403);
    const bad = await call('admin', '/api/admin/keywords', { method: 'PUT', body: JSON.stringify({ rules: [{ phrase: '光伏板', category: 'infra.solar' }] }) });
    expect([bad.status, ((await bad.json()) as { message: string }).message]).toEqual([400, 'rule 1 (光伏板): unknown category']);
    const twice = await call('admin', '/api/admin/keywords', { method: 'PUT', body: JSON.stringify({ rules: [{ phrase: '水', category: 'infra.water' }, { phrase: '水 ', category: 'infra.water' }] }) });
    expect(twice.status).toBe(400);

    const ok = await call('admin', '/api/admin/keywords', { method: 'PUT', body: JSON.stringify({ rules }) });
    expect(ok.status).toBe(200);
    const served = ((await (await call('grid', '/api/keywords')).json()) as { rules: typeof rules }).rules;
    expect(served).toHaveLength(DEFAULT_KEYWORDS.length + 1);
    // Devices classify with what they were served.
    expect(classify('屋顶光伏板被风刮坏了', served)[0]).toMatchObject({ category: 'infra.power', matched: ['光伏板'] });
    expect((await server.store.audit(5)).some((a) => a.action === 'keywords_updated')).toBe(true);
  });
});

describe('village search data', () => {
  it('sends every region with pinyin initials, so initials find villages offline', async () => {
    const { regions } = (await (await call('town', '/api/regions')).json()) as { regions: Region[] };
    expect(regions.every((r) => Array.isArray(r.initials) && r.initials.length === [...r.name].length)).toBe(true);
    const village = regions.find((r) => r.level === 'village' && r.name.startsWith('大仲村'))!;
    expect(regionMatches(village, 'dzc')).toBe(true);
  });
});
