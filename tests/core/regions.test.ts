import { describe, expect, it } from 'vitest';
import {
  buildRegionTree,
  cityOf,
  countyOf,
  codePrefix,
  fullCode,
  indexRegions,
  inRegion,
  isRegionCode,
  levelOf,
  shortVillageName,
  townOf,
  type RawDivision,
} from '../../src/core/regions';

function raw(over: Partial<RawDivision> = {}): RawDivision {
  return {
    county: { code: '371324', name: '兰陵县' },
    // Deliberately out of order: the tree sorts by code.
    towns: [
      { code: '371324103', name: '苍山街道' },
      { code: '371324102', name: '卞庄街道' },
    ],
    villages: [
      { code: '371324103201', name: '东村村民委员会', streetCode: '371324103' },
      { code: '371324102202', name: '北关社区居民委员会', streetCode: '371324102' },
      { code: '371324102201', name: '南关村民委员会', streetCode: '371324102' },
    ],
    ...over,
  };
}

describe('code helpers', () => {
  it('inRegion places a village in its county (6 digits) and its town (12, ending 000), not a neighbour', () => {
    expect(inRegion('371324', '371324102201')).toBe(true);
    expect(inRegion('371324102000', '371324102201')).toBe(true);
    expect(inRegion('371324102000', '371324103201')).toBe(false);
    expect(inRegion('371324', '371325101201')).toBe(false);
  });

  it('fullCode pads 4/6/9/12-digit codes to 12 digits', () => {
    expect(fullCode('3713')).toBe('371300000000');
    expect(fullCode('371324')).toBe('371324000000');
    expect(fullCode('371324102')).toBe('371324102000');
    expect(fullCode('371324102201')).toBe('371324102201');
  });

  it.each(['', '371', '37132', '3713241', '37132410', '3713241022', '37132410220', '3713241022010', '37132a', '371324 02', '３７１３２４', '-37132'])(
    'fullCode rejects %j',
    (bad) => {
      expect(() => fullCode(bad)).toThrow(/Not a GB\/T 2260 code/);
    },
  );

  it('isRegionCode accepts only 12-digit strings', () => {
    expect(isRegionCode('371324102201')).toBe(true);
    for (const bad of ['371324', '37132410220a', 371324102201, null, undefined, '3713241022011']) {
      expect(isRegionCode(bad)).toBe(false);
    }
  });

  it('levelOf reads the level from the trailing zeros', () => {
    expect(levelOf('371300000000')).toBe('city');
    expect(levelOf('371324000000')).toBe('county');
    expect(levelOf('371324102000')).toBe('town');
    expect(levelOf('371324102201')).toBe('village');
  });

  it('codePrefix gives the 4/6/9/12 significant digits', () => {
    expect(codePrefix('371300000000')).toBe('3713');
    expect(codePrefix('371324000000')).toBe('371324');
    expect(codePrefix('371324102000')).toBe('371324102');
    expect(codePrefix('371324102201')).toBe('371324102201');
  });

  it('townOf, countyOf and cityOf climb the tree', () => {
    expect(countyOf('371324102201')).toBe('371324000000');
    expect(townOf('371324102201')).toBe('371324102000');
    expect(cityOf('371324102201')).toBe('371300000000');
    expect(cityOf('371324102000')).toBe('371300000000');
  });
});

describe('buildRegionTree', () => {
  it('builds a sorted county → town → village tree with 12-digit codes and parents', () => {
    const tree = buildRegionTree(raw());
    expect(tree.county).toEqual({ code: '371324000000', name: '兰陵县', level: 'county', parent: null });
    expect(tree.towns).toEqual([
      { code: '371324102000', name: '卞庄街道', level: 'town', parent: '371324000000' },
      { code: '371324103000', name: '苍山街道', level: 'town', parent: '371324000000' },
    ]);
    expect(tree.villages.map((v) => [v.code, v.parent, v.level])).toEqual([
      ['371324102201', '371324102000', 'village'],
      ['371324102202', '371324102000', 'village'],
      ['371324103201', '371324103000', 'village'],
    ]);
    // Names are kept as the package ships them.
    expect(tree.villages[0]!.name).toBe('南关村民委员会');
  });

  it('gives the same tree whatever the input order', () => {
    const r = raw();
    const reversed = { ...r, towns: [...r.towns].reverse(), villages: [...r.villages].reverse() };
    expect(buildRegionTree(reversed)).toEqual(buildRegionTree(r));
  });

  it('accepts a county with no towns or villages', () => {
    expect(buildRegionTree(raw({ towns: [], villages: [] }))).toMatchObject({ towns: [], villages: [] });
  });

  it('rejects a county code that is not a county', () => {
    expect(() => buildRegionTree(raw({ county: { code: '371324102', name: 'x' } }))).toThrow(/not a county/);
    expect(() => buildRegionTree(raw({ county: { code: '3713', name: 'x' } }))).toThrow(/not a county/);
    expect(() => buildRegionTree(raw({ county: { code: '37132', name: 'x' } }))).toThrow(/Not a GB\/T 2260 code/);
  });

  it('rejects a town outside the county', () => {
    const r = raw();
    expect(() => buildRegionTree({ ...r, towns: [...r.towns, { code: '371325101', name: 'x' }] })).toThrow(/Town 371325101 is not in county 371324/);
  });

  it('rejects a "town" whose code is at another level', () => {
    const r = raw();
    expect(() => buildRegionTree({ ...r, towns: [...r.towns, { code: '371324', name: 'x' }] })).toThrow(/not in county/);
    expect(() => buildRegionTree({ ...r, towns: [...r.towns, { code: '371324102201', name: 'x' }] })).toThrow(/not in county/);
  });

  it('rejects a town with a malformed code', () => {
    const r = raw();
    expect(() => buildRegionTree({ ...r, towns: [...r.towns, { code: '37132410x', name: 'x' }] })).toThrow(/Not a GB\/T 2260 code/);
  });

  it('rejects a village filed under the wrong town', () => {
    const r = raw();
    const wrong = { code: '371324102203', name: 'x', streetCode: '371324103' };
    expect(() => buildRegionTree({ ...r, villages: [...r.villages, wrong] })).toThrow(/Village 371324102203 does not belong to 371324103/);
  });

  it('rejects a village whose town is not in the list', () => {
    const r = raw();
    const orphan = { code: '371324104201', name: 'x', streetCode: '371324104' };
    expect(() => buildRegionTree({ ...r, villages: [...r.villages, orphan] })).toThrow(/unknown town 371324104/);
  });

  it('rejects a village in another county even under a same-numbered town', () => {
    const r = raw();
    const foreign = { code: '371325102201', name: 'x', streetCode: '371325102' };
    expect(() => buildRegionTree({ ...r, villages: [...r.villages, foreign] })).toThrow(/unknown town/);
  });

  it('rejects a village with a town-level or malformed code', () => {
    const r = raw();
    for (const code of ['371324102000', '371324102', '37132410220x', '3713241022011']) {
      expect(() => buildRegionTree({ ...r, villages: [...r.villages, { code, name: 'x', streetCode: '371324102' }] }), code).toThrow();
    }
    expect(() =>
      buildRegionTree({ ...r, villages: [...r.villages, { code: '371324102209', name: 'x', streetCode: '37132410' }] }),
    ).toThrow(/Not a GB\/T 2260 code/);
  });
});

describe('indexRegions', () => {
  it('indexes every region by its 12-digit code', () => {
    const tree = buildRegionTree(raw());
    const index = indexRegions(tree);
    expect(index.size).toBe(1 + tree.towns.length + tree.villages.length);
    expect(index.get('371324000000')).toBe(tree.county);
    expect(index.get('371324103000')?.name).toBe('苍山街道');
    expect(index.get('371324102201')?.parent).toBe('371324102000');
    expect(index.get('371324')).toBeUndefined();
  });
});

describe('shortVillageName', () => {
  it.each([
    ['南关村民委员会', '南关村'],
    ['南关村村民委员会', '南关村'], // no doubled 村
    ['南关村委会', '南关村'],
    ['北关社区居民委员会', '北关社区'], // no doubled 社区
    ['北关居民委员会', '北关社区'],
    ['北关居委会', '北关社区'],
    ['北关社区居委会', '北关社区'],
    ['南关村居民委员会', '南关村社区'], // a village turned residents' committee keeps its 村
    ['南关村', '南关村'], // already short
    ['委员会', '委员会'],
    ['', ''],
  ])('%j → %j', (name, short) => {
    expect(shortVillageName(name)).toBe(short);
  });

  it('only strips a suffix at the end of the name', () => {
    expect(shortVillageName('村民委员会路')).toBe('村民委员会路');
  });
});
