import * as v from 'valibot';
import type { UnitMetrics } from './metrics';

// Red and black lists (Wanyuan's 红黑榜): each town or department scored 0–100 on four
// metrics, each the weighted mean of its sub-metrics; the total is the weighted mean of
// the four. A figure a unit lacks (nothing rated, say) leaves its weight out rather than
// counting as zero, and a unit with too few answered appeals is not scored at all:
// two lucky replies should not put a town on the red list.

export const SCORE_METRICS = {
  /** Response speed. */
  speed: ['onTime', 'handling'],
  /** Closure quality: not reopened after the return visit, and return visits made. */
  quality: ['notReopened', 'visited'],
  satisfaction: ['satisfied'],
  repeat: ['notRepeated'],
} as const;

export type ScoreMetric = keyof typeof SCORE_METRICS;
export type SubMetric = (typeof SCORE_METRICS)[ScoreMetric][number];
export const SCORE_METRIC_KEYS = Object.keys(SCORE_METRICS) as ScoreMetric[];

export interface Scorecard {
  /** How many units go on the red list (the best) and on the black list (the worst). */
  red: number;
  black: number;
  /** Units with fewer answered appeals in the period are not scored. */
  minAnswered: number;
  /** Mean handling time that scores 0 (0 days scores 100, linearly between). */
  handlingCeilingDays: number;
  metrics: { [M in ScoreMetric]: { weight: number; parts: Partial<Record<(typeof SCORE_METRICS)[M][number], number>> } };
}

export const DEFAULT_SCORECARD: Scorecard = {
  red: 3,
  black: 3,
  minAnswered: 3,
  handlingCeilingDays: 10,
  metrics: {
    speed: { weight: 30, parts: { onTime: 70, handling: 30 } },
    quality: { weight: 25, parts: { notReopened: 60, visited: 40 } },
    satisfaction: { weight: 30, parts: { satisfied: 100 } },
    repeat: { weight: 15, parts: { notRepeated: 100 } },
  },
};

const weight = v.pipe(v.number(), v.minValue(0), v.maxValue(1000));
const metricSchema = <M extends ScoreMetric>(m: M) =>
  v.pipe(
    v.strictObject({ weight, parts: v.strictObject(Object.fromEntries(SCORE_METRICS[m].map((p) => [p, v.optional(weight)]))) }),
    v.check((x) => x.weight === 0 || Object.values(x.parts).some((w) => (w ?? 0) > 0), `a weighted metric needs a sub-metric with a weight (${SCORE_METRICS[m].join(', ')})`),
  );
const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100));
export const ScorecardSchema = v.pipe(
  v.strictObject({
    red: count,
    black: count,
    minAnswered: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_000)),
    handlingCeilingDays: v.pipe(v.number(), v.minValue(0.5), v.maxValue(365)),
    metrics: v.strictObject({ speed: metricSchema('speed'), quality: metricSchema('quality'), satisfaction: metricSchema('satisfaction'), repeat: metricSchema('repeat') }),
  }),
  v.check((c) => SCORE_METRIC_KEYS.some((m) => c.metrics[m].weight > 0), 'at least one metric needs a weight'),
);

export function parseScorecard(input: unknown): { ok: true; card: Scorecard } | { ok: false; error: string } {
  const r = v.safeParse(ScorecardSchema, input);
  if (r.success) return { ok: true, card: r.output as Scorecard };
  return { ok: false, error: r.issues.map((i) => `${v.getDotPath(i) ?? 'scorecard'}: ${i.message}`).join('; ') };
}

/** Each sub-metric on 0–100, higher better; null where the unit has no such figure. */
export function subScores(m: UnitMetrics, card: Pick<Scorecard, 'handlingCeilingDays'>): Record<SubMetric, number | null> {
  const pct = (x: number | null) => (x === null ? null : 100 * x);
  const inverse = (x: number | null) => (x === null ? null : 100 * (1 - x));
  return {
    onTime: pct(m.onTimeRate),
    handling: m.handlingDays === null ? null : 100 * Math.max(0, 1 - m.handlingDays / card.handlingCeilingDays),
    notReopened: inverse(m.reopenRate),
    visited: m.answered === 0 ? null : (100 * m.rated) / m.answered,
    satisfied: pct(m.satisfactionRate),
    notRepeated: inverse(m.repeatRate),
  };
}

/** The weighted mean of the values present (weight > 0 and value not null); null when none is. */
function weightedMean(pairs: [value: number | null, weight: number][]): number | null {
  let sum = 0;
  let weights = 0;
  for (const [value, w] of pairs) {
    if (value === null || w <= 0) continue;
    sum += value * w;
    weights += w;
  }
  return weights === 0 ? null : sum / weights;
}

export interface ScoredUnit {
  unit: string;
  answered: number;
  /** 0–100; null when the unit had too few answered appeals or no figure at all. */
  score: number | null;
  metrics: Record<ScoreMetric, number | null>;
}

export function scoreUnit(m: UnitMetrics, card: Scorecard): ScoredUnit {
  const subs = subScores(m, card);
  const metrics = Object.fromEntries(
    SCORE_METRIC_KEYS.map((key) => {
      const parts = card.metrics[key].parts as Partial<Record<SubMetric, number>>;
      return [key, weightedMean(SCORE_METRICS[key].map((p) => [subs[p], parts[p] ?? 0]))];
    }),
  ) as Record<ScoreMetric, number | null>;
  const score = m.answered < card.minAnswered ? null : weightedMean(SCORE_METRIC_KEYS.map((key) => [metrics[key], card.metrics[key].weight]));
  return { unit: m.unit, answered: m.answered, score, metrics };
}

export interface RedBlack {
  /** Scored units, best first (ties: more answered first, then by code); unscored ones after. */
  units: ScoredUnit[];
  red: string[];
  black: string[];
}

/**
 * The top `red` and bottom `black` scored units. Where there are too few to fill both
 * lists apart, each takes at most half, so no unit is both best and worst.
 */
export function redBlack(metrics: readonly UnitMetrics[], card: Scorecard): RedBlack {
  const units = metrics
    .map((m) => scoreUnit(m, card))
    .sort((a, b) => {
      if (a.score === null || b.score === null) return a.score === null ? (b.score === null ? (a.unit < b.unit ? -1 : 1) : 1) : -1;
      return b.score - a.score || b.answered - a.answered || (a.unit < b.unit ? -1 : 1);
    });
  const scored = units.filter((u) => u.score !== null);
  const half = card.red + card.black > scored.length ? Math.floor(scored.length / 2) : Infinity;
  const red = scored.slice(0, Math.min(card.red, half)).map((u) => u.unit);
  const blackCount = Math.min(card.black, half);
  const black = blackCount === 0 ? [] : scored.slice(-blackCount).reverse().map((u) => u.unit);
  return { units, red, black };
}
