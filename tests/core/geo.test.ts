import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { URGENCIES } from '../../src/core/appeal';
import { STATUSES, isOpen } from '../../src/core/fold';
import { cityTierForZoom, inRing, mapCity, passesFilter, ringCentre, tallyFilter, tallyKey } from '../../src/core/citymap';
import { placeRegions, tallyBy, tierForZoom, worstUrgency, type MapRow } from '../../src/core/geo';
import type { Region } from '../../src/core/regions';
import counties from '../../src/data/counties-371300.json';
import cityOutline from '../../src/data/outline-371300.json';
import places from '../../src/data/places-371324.json';

// The map's geometry and counts: every region gets a place, the data file is WGS84 and
// inside the county, and tallies add up whatever the rows.

const city: Region = { code: '371324000000', name: '兰陵县', level: 'county', parent: null };
const town: Region = { code: '371324101000', name: '大仲村镇', level: 'town', parent: city.code };
const seat: Region = { code: '371324001000', name: '卞庄街道', level: 'town', parent: city.code };
const villages: Region[] = Array.from({ length: 40 }, (_, i) => ({ code: `371324101${String(201 + i)}`, name: `村${i}`, level: 'village', parent: town.code }));

describe('place data', () => {
  it('is WGS84 inside Lanling, credited, and names what it lacks', () => {
    expect(places.datum).toBe('WGS84');
    expect(places.licence).toMatch(/CC BY 4\.0/);
    expect(places.missing).toEqual(['371324001000 卞庄街道办事处']);
    for (const p of Object.values(places.points)) {
      expect(p.lat).toBeGreaterThan(34.5);
      expect(p.lat).toBeLessThan(35.2);
      expect(p.lng).toBeGreaterThan(117.6);
      expect(p.lng).toBeLessThan(118.4);
    }
    // GCJ-02 → WGS84 moves points in this area by roughly 0.005° east and 0.001° south.
    expect(places.points['371324000000']).toEqual({ name: '兰陵县', lat: 34.857805, lng: 118.064773 });
  });
});

describe('placing regions', () => {
  const all = [city, town, seat, ...villages];
  it('places every town and village: its own point, the county centre, or spread around its town', async () => {
    const placed = placeRegions(all, places.points);
    expect(placed.get(town.code)).toMatchObject({ source: 'data' });
    expect(placed.get(seat.code)).toEqual({ lat: 34.857805, lng: 118.064773, source: 'near_parent' });
    const spread = villages.map((v) => placed.get(v.code)!);
    expect(spread.every((p) => p.source === 'near_parent')).toBe(true);
    // Around the town, at least about a kilometre apart, so their markers do not pile up.
    const t = placed.get(town.code)!;
    const { metresBetween } = await import('../../src/core/geo');
    for (const p of spread) expect(metresBetween(p, t)).toBeLessThan(700 * Math.sqrt(villages.length + 1));
    for (const [i, p] of spread.entries()) for (const q of spread.slice(i + 1)) expect(metresBetween(p, q)).toBeGreaterThan(900);
    // Deterministic: the same input places the same.
    expect(placeRegions(all, places.points)).toEqual(placed);
  });

  it('takes an administrator’s correction over both the data and the appeals’ GPS', () => {
    const fixes = new Map([[villages[3]!.code, [{ lat: 34.99, lng: 118.07 }]]]);
    const corrected = { lat: 34.97, lng: 118.02 };
    expect(placeRegions(all, { ...places.points, [villages[3]!.code]: corrected, [town.code]: corrected }, fixes).get(villages[3]!.code)).toEqual({ ...corrected, source: 'data' });
    expect(placeRegions(all, { ...places.points, [town.code]: corrected }).get(town.code)).toEqual({ ...corrected, source: 'data' });
  });

  it('moves a village to where its appeals were recorded', () => {
    const fixes = new Map([[villages[3]!.code, [{ lat: 34.99, lng: 118.07 }, { lat: 34.98, lng: 118.05 }]]]);
    expect(placeRegions(all, places.points, fixes).get(villages[3]!.code)).toEqual({ lat: 34.985, lng: 118.06, source: 'gps' });
  });
});

describe('tallies', () => {
  it('count every row once, open ones by urgency, for any rows', () => {
    const row = fc.record({ id: fc.uuid(), village: fc.constantFrom('a', 'b', 'c'), status: fc.constantFrom(...STATUSES), urgency: fc.constantFrom(...URGENCIES), dueAt: fc.option(fc.integer({ min: 0, max: 2000 })) });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), (rows: MapRow[]) => {
        const t = tallyBy(rows, (r) => r.village, 1000);
        const sum = [...t.values()].reduce((s, x) => s + x.total, 0);
        const open = rows.filter((r) => isOpen(r.status));
        return (
          sum === rows.length &&
          [...t.values()].every((x) => x.red + x.orange + x.yellow === x.open && x.overdue <= x.open) &&
          [...t.values()].reduce((s, x) => s + x.open, 0) === open.length
        );
      }),
    );
  });

  it('colour a marker by its most urgent open appeal, and map zoom to tiers', () => {
    expect(worstUrgency({ total: 3, open: 2, overdue: 0, red: 0, orange: 1, yellow: 1 })).toBe('orange');
    expect(worstUrgency({ total: 1, open: 0, overdue: 0, red: 0, orange: 0, yellow: 0 })).toBeNull();
    expect([8, 10, 11, 12, 13, 16].map(tierForZoom)).toEqual(['town', 'town', 'village', 'village', 'appeal', 'appeal']);
    // A city's map has counties first; a county's never does, however far out.
    expect([5, 8, 9, 10, 11, 13].map((z) => cityTierForZoom(z))).toEqual(['county', 'county', 'town', 'town', 'village', 'appeal']);
    expect(tierForZoom(3)).toBe('town');
  });

  it('key a village’s appeal by its county, town or itself', () => {
    expect(['county', 'town', 'village'].map((l) => tallyKey(l as 'county', '371324101201'))).toEqual(['371324000000', '371324101000', '371324101201']);
  });
});

describe('filters', () => {
  const row = { category: 'infra.water', urgency: 'red' as const, createdAt: Date.parse('2026-03-10T23:30:00+08:00') };
  const ok = (input: Parameters<typeof tallyFilter>[0]) => {
    const r = tallyFilter(input);
    if (!r.ok) throw new Error(r.error);
    return r.filter;
  };
  it('read a category class, an urgency and China-time days, both ends inclusive', () => {
    expect(ok({})).toEqual({});
    expect(ok({ category: '', urgency: null, from: '', to: undefined })).toEqual({});
    expect(ok({ from: '2026-03-10', to: '2026-03-10' })).toEqual({ from: Date.parse('2026-03-09T16:00:00Z'), to: Date.parse('2026-03-10T16:00:00Z') });
    expect(passesFilter(row, ok({ category: 'infra', urgency: 'red', from: '2026-03-10', to: '2026-03-10' }))).toBe(true);
    expect(passesFilter(row, ok({ to: '2026-03-09' }))).toBe(false);
    expect(passesFilter(row, ok({ from: '2026-03-11' }))).toBe(false);
    expect(passesFilter(row, ok({ category: 'livelihood' }))).toBe(false);
    expect(passesFilter(row, ok({ urgency: 'yellow' }))).toBe(false);
  });
  it('refuse what the map does not offer', () => {
    for (const bad of [{ category: 'infra.water' }, { category: '%' }, { urgency: 'blue' }, { from: '2026-3-1' }, { to: '2026-02-30x' }, { from: '2026-13-01' }]) expect(tallyFilter(bad).ok, JSON.stringify(bad)).toBe(false);
  });
});

describe('the city tier', () => {
  const linyi: Region = { code: '371300000000', name: '临沂市', level: 'city', parent: null };
  const county = (code: string, name: string): Region => ({ code: `${code}000000`, name, level: 'county', parent: linyi.code });
  const lanling = county('371324', '兰陵县');
  const yinan = county('371321', '沂南县');
  const zone = county('371371', '临沂高新技术产业开发区');
  const zoneTown: Region = { code: '371371001000', name: '罗西街道', level: 'town', parent: zone.code };

  it('opens on a city where the regions hold one, or several counties; on a county otherwise', () => {
    expect(mapCity([linyi, lanling, yinan])).toBe('371300000000');
    expect(mapCity([lanling, yinan])).toBe('371300000000');
    expect(mapCity([{ ...lanling, parent: null }, town, ...villages])).toBeNull();
    expect(mapCity([town])).toBeNull();
  });

  it('has an outline and a label inside it for every county but the one it names as missing, all inside the city, credited', () => {
    expect(counties.datum).toBe('WGS84');
    expect(counties.licence).toMatch(/CC BY 4\.0.*Vonng\/adcode/);
    expect(counties.missing).toEqual(['371371 临沂高新技术产业开发区']);
    expect(counties.counties.map((c) => c.code)).toEqual(['371302', '371311', '371312', '371321', '371322', '371323', '371324', '371325', '371326', '371327', '371328', '371329']);
    const ring = cityOutline.ring as [number, number][];
    for (const c of counties.counties) {
      const [lng, lat] = c.label as [number, number];
      expect(inRing({ lat, lng }, c.ring as [number, number][]), c.name).toBe(true);
      expect(inRing({ lat, lng }, ring), c.name).toBe(true);
      // The label lies in its own outline only, so a name never sits in a neighbour.
      expect(counties.counties.filter((o) => inRing({ lat, lng }, o.ring as [number, number][])).map((o) => o.code)).toEqual([c.code]);
    }
    expect(inRing({ lat: 34.857805, lng: 118.064773 }, counties.counties.find((c) => c.code === '371324')!.ring as [number, number][])).toBe(true);
    expect(inRing({ lat: 39.9, lng: 116.4 }, ring)).toBe(false);
  });

  it('puts a county the outlines lack, and its towns, at the city’s centre; the others where their data says', () => {
    const centre = ringCentre(cityOutline.ring as [number, number][]);
    expect(inRing(centre, cityOutline.ring as [number, number][])).toBe(true);
    const placed = placeRegions([linyi, lanling, zone, zoneTown, seat], { [linyi.code]: centre, ...places.points });
    expect(placed.get(zone.code)).toEqual({ ...centre, source: 'near_parent' });
    expect(placed.get(zoneTown.code)).toEqual({ ...centre, source: 'near_parent' });
    expect(placed.get(lanling.code)).toEqual({ lat: 34.857805, lng: 118.064773, source: 'data' });
    expect(placed.get(seat.code)).toEqual({ lat: 34.857805, lng: 118.064773, source: 'near_parent' });
    // Without a point for the city, nothing is guessed.
    expect(placeRegions([linyi, zone, zoneTown], {}).size).toBe(0);
  });

  it('finds the centre of a square, and the inside of a ring', () => {
    const square: [number, number][] = [[0, 0], [2, 0], [2, 2], [0, 2]];
    expect(ringCentre(square)).toEqual({ lng: 1, lat: 1 });
    expect(inRing({ lng: 1, lat: 1 }, square)).toBe(true);
    expect(inRing({ lng: 3, lat: 1 }, square)).toBe(false);
  });
});

describe('server counts', () => {
  it('replace the device’s where the server knows more, and only there', async () => {
    const { mergeTallies } = await import('../../src/core/geo');
    const t = (total: number, open = total) => ({ total, open, overdue: 0, red: 0, orange: 0, yellow: open });
    const local = new Map([['a', t(3)], ['b', t(5)]]);
    expect(mergeTallies(local, new Map([['a', t(9, 4)], ['b', t(4)], ['c', t(2)]]))).toBe(true);
    expect([...local.entries()].map(([k, v]) => [k, v.total])).toEqual([['a', 9], ['b', 5], ['c', 2]]);
    expect(mergeTallies(local, new Map([['b', t(5)]]))).toBe(false);
  });
});

describe('nearest place', () => {
  it('finds the nearest town seat to a GPS fix, ignoring places that are only guessed', async () => {
    const { nearestPlace, placeRegions, metresBetween } = await import('../../src/core/geo');
    const lanling: Region = { code: '371324102000', name: '兰陵镇', level: 'town', parent: city.code };
    const placed = placeRegions([city, town, lanling, seat, ...villages], places.points);
    // A fix 1 km north of 兰陵镇's seat.
    const fix = { lat: places.points['371324102000'].lat + 0.009, lng: places.points['371324102000'].lng };
    const near = nearestPlace(fix, placed, [town.code, lanling.code, seat.code, ...villages.map((v) => v.code)]);
    expect(near?.code).toBe('371324102000');
    expect(near!.metres).toBeGreaterThan(900);
    expect(near!.metres).toBeLessThan(1100);
    // The seat placed at the county point and spiral villages are guesses: never suggested.
    expect(nearestPlace(places.points['371324000000'], placed, [seat.code, ...villages.map((v) => v.code)])).toBeNull();
    expect(Math.round(metresBetween({ lat: 35, lng: 118 }, { lat: 35.01, lng: 118 }))).toBe(1105);
  });
});

describe('tile source configuration', () => {
  it('accepts https templates and same-origin paths, naming the origin the security policy must allow', async () => {
    const { parseTileSource } = await import('../../src/core/geo');
    expect(parseTileSource(undefined, undefined)).toEqual({ ok: true, source: null });
    expect(parseTileSource('https://{s}.tile.example.org/{z}/{x}/{y}.png', '© OpenStreetMap contributors')).toEqual({
      ok: true,
      source: { url: 'https://{s}.tile.example.org/{z}/{x}/{y}.png', attribution: '© OpenStreetMap contributors', origin: 'https://*.tile.example.org' },
    });
    expect(parseTileSource('https://tiles.county.gov.cn:8443/wmts?z={z}&x={x}&y={y}', '县自然资源局')).toMatchObject({ ok: true, source: { origin: 'https://tiles.county.gov.cn:8443' } });
    expect(parseTileSource('/tiles/{z}/{x}/{y}.png', '本县')).toMatchObject({ ok: true, source: { origin: null } });
  });

  it('refuses what would leak, break the policy or drop the credit', async () => {
    const { parseTileSource } = await import('../../src/core/geo');
    const refused = (url: string | undefined, credit: string | undefined) => {
      const r = parseTileSource(url, credit);
      return r.ok ? null : r.error;
    };
    expect(refused('http://tiles.example.org/{z}/{x}/{y}.png', 'x')).toMatch(/https/);
    expect(refused('https://user:pw@tiles.example.org/{z}/{x}/{y}.png', 'x')).toMatch(/https/);
    expect(refused('//tiles.example.org/{z}/{x}/{y}.png', 'x')).toMatch(/https/);
    expect(refused("https://a.org;script-src/{z}/{x}/{y}", 'x')).toMatch(/https/);
    expect(refused('https://tiles.example.org/{z}/{x}.png', 'x')).toMatch(/\{y\}/);
    expect(refused('https://tiles.example.org/{z}/{x}/{y}.png', '  ')).toMatch(/attribution/);
    expect(refused(undefined, '© someone')).toMatch(/no tile URL/);
  });
});
