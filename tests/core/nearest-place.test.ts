import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { metresBetween, placeNamed, placeOf, VILLAGE_REACH_M, type PlaceData, type PlacePoint } from '../../src/core/nearest-place';

// Where an Open311 request located by lat/long belongs: inside the deployment's outline, the
// village whose point lies within reach, else the town whose seat is nearest.

/** A square county about 22 km across. */
const OUTLINE: [number, number][] = [
  [118.0, 34.8],
  [118.2, 34.8],
  [118.2, 35.0],
  [118.0, 35.0],
];
const towns: PlacePoint[] = [
  { code: '371324101000', lat: 34.85, lng: 118.05 },
  { code: '371324102000', lat: 34.95, lng: 118.15 },
];
const villages: PlacePoint[] = [
  { code: '371324101201', lat: 34.86, lng: 118.06 },
  { code: '371324102201', lat: 34.94, lng: 118.14 },
];
const data: PlaceData = { outline: [OUTLINE], villages, towns };

const inside = fc.record({ lat: fc.double({ min: 34.801, max: 34.999, noNaN: true }), lng: fc.double({ min: 118.001, max: 118.199, noNaN: true }) });

describe('placeOf', () => {
  it('puts a point next to a village in that village', () => {
    expect(placeOf({ lat: 34.8605, lng: 118.0605 }, data)).toEqual({ level: 'village', code: '371324101201' });
  });

  it('puts a point far from every village in the nearest town', () => {
    expect(placeOf({ lat: 34.82, lng: 118.01 }, data)).toEqual({ level: 'town', code: '371324101000' });
    expect(placeOf({ lat: 34.99, lng: 118.19 }, data)).toEqual({ level: 'town', code: '371324102000' });
  });

  it('places nothing outside the outline, nor 0,0, nor a point when no outline is known', () => {
    expect(placeOf({ lat: 39.9, lng: 116.4 }, data)).toEqual({ level: 'outside' });
    expect(placeOf({ lat: 0, lng: 0 }, data)).toEqual({ level: 'outside' });
    expect(placeOf({ lat: NaN, lng: 118.1 }, data)).toEqual({ level: 'outside' });
    expect(placeOf({ lat: 34.86, lng: 118.06 }, { ...data, outline: [] })).toEqual({ level: 'outside' });
  });

  it('always answers the nearest village within reach, else the nearest town (property)', () => {
    fc.assert(
      fc.property(inside, (p) => {
        const got = placeOf(p, data);
        const nearestVillage = [...villages].sort((a, b) => metresBetween(p, a) - metresBetween(p, b))[0]!;
        const nearestTown = [...towns].sort((a, b) => metresBetween(p, a) - metresBetween(p, b))[0]!;
        if (metresBetween(p, nearestVillage) <= VILLAGE_REACH_M) expect(got).toEqual({ level: 'village', code: nearestVillage.code });
        else expect(got).toEqual({ level: 'town', code: nearestTown.code });
      }),
    );
  });

  it('does not depend on the order of the place lists (property)', () => {
    fc.assert(
      fc.property(inside, fc.boolean(), (p, flip) => {
        const shuffled: PlaceData = { outline: [OUTLINE], villages: flip ? [...villages].reverse() : villages, towns: flip ? [...towns].reverse() : towns };
        expect(placeOf(p, shuffled)).toEqual(placeOf(p, data));
      }),
    );
  });

  it('measures ground distance', () => {
    // One degree of latitude is about 111 km.
    expect(metresBetween({ lat: 35, lng: 118 }, { lat: 36, lng: 118 })).toBeGreaterThan(110_000);
    expect(metresBetween({ lat: 35, lng: 118 }, { lat: 36, lng: 118 })).toBeLessThan(112_000);
  });
});

describe('placeNamed', () => {
  const places = [
    { code: '371324102243', name: '小仲村北村村委会', level: 'village' as const },
    { code: '371324102244', name: '小仲村南村村委会', level: 'village' as const },
    { code: '371324102000', name: '兰陵镇', level: 'town' as const },
    { code: '371324101000', name: '大仲村镇', level: 'town' as const },
  ];

  it('finds a village by its name as people write it', () => {
    expect(placeNamed('兰陵镇小仲村北村东头', places)).toEqual({ level: 'village', code: '371324102243' });
  });

  it('falls back to the town when no village is named, also without its suffix', () => {
    expect(placeNamed('兰陵镇政府门口', places)).toEqual({ level: 'town', code: '371324102000' });
    expect(placeNamed('大仲村集市', places)).toEqual({ level: 'town', code: '371324101000' });
  });

  it('names nothing when the words name no place, or two equally', () => {
    expect(placeNamed('10 Downing Street', places)).toBeNull();
    expect(placeNamed('兰陵镇 大仲村镇 之间', places)).toBeNull();
  });
});
