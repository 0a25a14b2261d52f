import { describe, expect, it } from 'vitest';
import type { UnitMetrics } from '../../src/core/metrics';
import { DEFAULT_SCORECARD, parseScorecard, redBlack, scoreUnit, type Scorecard } from '../../src/core/scorecard';

// Every score here is worked out by hand from the figures below and the default weights:
// speed 30 (on time 70, handling 30), quality 25 (not reopened 60, visited 40),
// satisfaction 30, repeat 15; handling scores 0 at 10 working days.

function unit(over: Partial<UnitMetrics>): UnitMetrics {
  return { unit: 'u', received: 10, answered: 10, onTimeRate: 1, handlingDays: 0, rated: 10, satisfactionRate: 1, repeatRate: 0, reopenRate: 0, returns: 0, reassigns: 0, dispatchMinutes: null, visitRate: 1, qualityReviewed: 0, qualityPassRate: null, ...over };
}

describe('scoring one unit', () => {
  it('weights sub-metrics into metrics and metrics into the total', () => {
    // on time 80, handling 100×(1−2/10)=80 → speed 0.7×80+0.3×80 = 80
    // not reopened 90, visited 5/10=50 → quality 0.6×90+0.4×50 = 74
    // satisfaction 60; not repeated 80
    // total (30×80 + 25×74 + 30×60 + 15×80) / 100 = (2400+1850+1800+1200)/100 = 72.5
    const s = scoreUnit(unit({ onTimeRate: 0.8, handlingDays: 2, rated: 5, satisfactionRate: 0.6, repeatRate: 0.2, reopenRate: 0.1 }), DEFAULT_SCORECARD);
    expect(s.metrics.speed).toBeCloseTo(80, 10);
    expect(s.metrics.quality).toBeCloseTo(74, 10);
    expect(s.metrics.satisfaction).toBeCloseTo(60, 10);
    expect(s.metrics.repeat).toBeCloseTo(80, 10);
    expect(s.score).toBeCloseTo(72.5, 10);
  });

  it('leaves a missing figure out of the weights instead of counting it as zero', () => {
    // Nothing rated: satisfaction is missing, visited is 0/10 = 0 (return visits not made do count).
    // speed 100, quality 0.6×100+0.4×0 = 60, repeat 100 → (30×100 + 25×60 + 15×100) / 70 = 6000/70
    const s = scoreUnit(unit({ rated: 0, satisfactionRate: null }), DEFAULT_SCORECARD);
    expect(s.metrics.satisfaction).toBeNull();
    expect(s.score).toBeCloseTo(6000 / 70, 10);
  });

  it('does not score a unit with fewer answered appeals than the minimum, and caps slow handling at 0', () => {
    expect(scoreUnit(unit({ answered: 2, rated: 2 }), DEFAULT_SCORECARD).score).toBeNull();
    expect(scoreUnit(unit({ handlingDays: 25 }), DEFAULT_SCORECARD).metrics.speed).toBeCloseTo(70, 10); // 0.7×100 + 0.3×0
  });

  it('follows configured weights', () => {
    const onlySpeed: Scorecard = { ...DEFAULT_SCORECARD, metrics: { ...DEFAULT_SCORECARD.metrics, quality: { weight: 0, parts: {} }, satisfaction: { weight: 0, parts: {} }, repeat: { weight: 0, parts: {} }, speed: { weight: 1, parts: { handling: 1 } } } };
    expect(scoreUnit(unit({ onTimeRate: 0, handlingDays: 5 }), onlySpeed).score).toBeCloseTo(50, 10);
  });
});

describe('red and black lists', () => {
  const card = { ...DEFAULT_SCORECARD, red: 2, black: 2 };
  // a 100; b 72.5 (above); c and d: speed 0.7×50+0.3×100 = 65, the rest 100 → 89.5 each,
  // the tie broken by more answered; e: speed 30, quality 0.6×0+0.4×100 = 40, satisfaction 0,
  // repeat 100 → (900+1000+0+1500)/100 = 34; f not scored (1 answered).
  const units = [
    unit({ unit: 'a' }),
    unit({ unit: 'b', onTimeRate: 0.8, handlingDays: 2, rated: 5, satisfactionRate: 0.6, repeatRate: 0.2, reopenRate: 0.1 }),
    unit({ unit: 'c', onTimeRate: 0.5, answered: 4, rated: 4 }),
    unit({ unit: 'd', onTimeRate: 0.5, answered: 8, rated: 8 }),
    unit({ unit: 'e', onTimeRate: 0, satisfactionRate: 0, reopenRate: 1 }),
    unit({ unit: 'f', answered: 1, rated: 1 }),
  ];

  it('puts the best on the red list and the worst, worst first, on the black list', () => {
    const r = redBlack(units, card);
    expect(r.units.map((u) => u.unit)).toEqual(['a', 'd', 'c', 'b', 'e', 'f']);
    expect(r.units.map((u) => u.score)).toEqual([100, 89.5, 89.5, expect.closeTo(72.5, 10), expect.closeTo(34, 10), null]);
    expect(r.red).toEqual(['a', 'd']);
    expect(r.black).toEqual(['e', 'b']);
  });

  it('splits too few units in half rather than listing one unit on both', () => {
    expect(redBlack(units.slice(0, 3), card)).toMatchObject({ red: ['a'], black: ['b'] });
    expect(redBlack(units.slice(0, 1), card)).toMatchObject({ red: [], black: [] });
  });
});

describe('scorecard configuration', () => {
  it('accepts the default and refuses a sub-metric of another metric, negative weights, or no weight at all', () => {
    expect(parseScorecard(DEFAULT_SCORECARD)).toEqual({ ok: true, card: DEFAULT_SCORECARD });
    const wrongPart = { ...DEFAULT_SCORECARD, metrics: { ...DEFAULT_SCORECARD.metrics, speed: { weight: 30, parts: { satisfied: 1 } } } };
    expect(parseScorecard(wrongPart)).toMatchObject({ ok: false, error: expect.stringContaining('metrics.speed.parts') });
    const negative = { ...DEFAULT_SCORECARD, metrics: { ...DEFAULT_SCORECARD.metrics, repeat: { weight: -1, parts: { notRepeated: 1 } } } };
    expect(parseScorecard(negative).ok).toBe(false);
    const emptyParts = { ...DEFAULT_SCORECARD, metrics: { ...DEFAULT_SCORECARD.metrics, repeat: { weight: 5, parts: {} } } };
    expect(parseScorecard(emptyParts)).toMatchObject({ ok: false, error: expect.stringContaining('sub-metric') });
    const zero = { ...DEFAULT_SCORECARD, metrics: Object.fromEntries(Object.entries(DEFAULT_SCORECARD.metrics).map(([k, m]) => [k, { ...m, weight: 0 }])) };
    expect(parseScorecard(zero)).toMatchObject({ ok: false, error: expect.stringContaining('at least one metric') });
  });
});
