import * as v from 'valibot';
import { KINDS, URGENCIES, type Kind, type Urgency } from './appeal';
import { addWorkingMinutes, dayLength, workingMinutesBetween, type WorkingHours } from './calendar';
import { MAX_EXTENSION_DAYS, SUPERVISION_LADDER, type WarningStage } from './events';
import type { AppealState, Stage } from './fold';
import { DEFAULT_REPEAT_RULE, type RepeatRule } from './repeats';
import { RetentionSchema, type RetentionOverrides } from './retention';

/**
 * How long each stage may take, in working days (fractions allowed: Lanling answers a
 * consultation within half a working day). A county picks a preset or writes its own.
 */
export interface DeadlinePolicy {
  name: string;
  /** From recording (or escalation) to assignment. */
  dispatchDays: number;
  /** From assignment (or reopening) to the reply, by kind or by urgency. */
  handle: { by: 'kind'; days: Record<Kind, number> } | { by: 'urgency'; days: Record<Urgency, number> };
  /** From the reply to the return visit. */
  visitDays: number;
  /** Kinds whose handling may be extended, and the most working days one stage may gain. */
  extension: { kinds: Kind[]; maxDays: number };
  hours: WorkingHours;
  /** Warn the handler this many working hours before a deadline. */
  dueSoonHours: number;
  /** Overdue by this many working days counts as severely overdue. */
  severeAfterDays: number;
  /** Working days overdue at which supervision climbs to level 1, 2, … (one per ladder rung). */
  supervisionAfterDays: number[];
  /** When the same problem becomes a special-governance item. */
  repeat: RepeatRule;
  /** The deployment's top tier: its county platform (the default) or, in a city deployment, the city center. */
  topTier?: 'county' | 'city';
  /**
   * The boilerplate phrase library reply quality checks use (官话套话, reply-quality.ts), when a
   * county keeps its own; the default library otherwise. Carried with the policy so devices and
   * the server flag the same replies offline and online.
   */
  replyPhrases?: string[];
  /** Days a closed appeal stays on a device, by role (retention.ts); roles not listed keep the default. */
  retention?: RetentionOverrides;
}

/** A county's own boilerplate library: bounded, so the welcome frame and each check stay small. */
export const MAX_REPLY_PHRASES = 200;
export const MAX_REPLY_PHRASE_CHARS = 20;

const common = {
  visitDays: 3,
  hours: { start: 9 * 60, end: 17 * 60 },
  dueSoonHours: 4,
  severeAfterDays: 3,
  supervisionAfterDays: [1, 3, 5, 10, 15],
  repeat: DEFAULT_REPEAT_RULE,
};

export const POLICY_PRESETS = {
  /** Wanyuan 民声直达 "135": dispatch in 1, consultation 3, complaint/help 5; special +10 at most. */
  wanyuan: {
    name: 'wanyuan',
    dispatchDays: 1,
    handle: { by: 'kind', days: { consultation: 3, help: 5, complaint: 5, suggestion: 5, special: 5 } },
    extension: { kinds: ['special'], maxDays: 10 },
    ...common,
  },
  /** Lanling: consultation half a working day, general matters 3, complex (special) 5. */
  lanling: {
    name: 'lanling',
    dispatchDays: 1,
    handle: { by: 'kind', days: { consultation: 0.5, help: 3, complaint: 3, suggestion: 3, special: 5 } },
    extension: { kinds: ['special'], maxDays: 10 },
    ...common,
    dueSoonHours: 2,
  },
  /** Linyi 12345: 1, 3 or 5 working days by urgency. */
  linyi: {
    name: 'linyi',
    dispatchDays: 1,
    handle: { by: 'urgency', days: { red: 1, orange: 3, yellow: 5 } },
    extension: { kinds: ['special'], maxDays: 10 },
    ...common,
  },
} satisfies Record<string, DeadlinePolicy>;

export type PresetName = keyof typeof POLICY_PRESETS;
export const PRESET_NAMES = Object.keys(POLICY_PRESETS) as PresetName[];

const days = v.pipe(v.number(), v.minValue(0.125), v.maxValue(60));
const minute = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(24 * 60));
export const DeadlinePolicySchema = v.pipe(
  v.strictObject({
    name: v.pipe(v.string(), v.minLength(1), v.maxLength(40)),
    dispatchDays: days,
    handle: v.variant('by', [
      v.strictObject({ by: v.literal('kind'), days: v.strictObject(Object.fromEntries(KINDS.map((k) => [k, days])) as Record<Kind, typeof days>) }),
      v.strictObject({ by: v.literal('urgency'), days: v.strictObject(Object.fromEntries(URGENCIES.map((u) => [u, days])) as Record<Urgency, typeof days>) }),
    ]),
    visitDays: days,
    extension: v.strictObject({ kinds: v.array(v.picklist(KINDS)), maxDays: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_EXTENSION_DAYS)) }),
    hours: v.pipe(
      v.strictObject({ start: minute, end: minute }),
      v.check((h) => h.end > h.start, 'hours.end must be after hours.start'),
    ),
    dueSoonHours: v.pipe(v.number(), v.minValue(0), v.maxValue(80)),
    severeAfterDays: days,
    supervisionAfterDays: v.pipe(
      v.array(days),
      v.maxLength(SUPERVISION_LADDER.length),
      v.check((a) => a.every((d, i) => i === 0 || d > a[i - 1]!), 'supervisionAfterDays must increase'),
    ),
    repeat: v.strictObject({
      threshold: v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(100)),
      windowDays: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3660)),
    }),
    topTier: v.optional(v.picklist(['county', 'city'])),
    replyPhrases: v.optional(
      v.pipe(
        v.array(v.pipe(v.string(), v.trim(), v.minLength(2, 'a boilerplate phrase has at least 2 characters'), v.maxLength(MAX_REPLY_PHRASE_CHARS))),
        v.maxLength(MAX_REPLY_PHRASES),
      ),
    ),
    retention: v.optional(RetentionSchema),
  }),
);

/** Reads a policy from configuration: a preset name, or a JSON object checked field by field. */
export function parsePolicy(input: unknown): { ok: true; policy: DeadlinePolicy } | { ok: false; error: string } {
  if (typeof input === 'string' && Object.hasOwn(POLICY_PRESETS, input)) return { ok: true, policy: POLICY_PRESETS[input as PresetName] };
  if (typeof input === 'string') return { ok: false, error: `unknown deadline preset "${input}" (known: ${PRESET_NAMES.join(', ')})` };
  const r = v.safeParse(DeadlinePolicySchema, input);
  if (r.success) return { ok: true, policy: r.output as DeadlinePolicy };
  return { ok: false, error: r.issues.map((i) => `${v.getDotPath(i) ?? 'policy'}: ${i.message}`).join('; ') };
}

export interface AppealTerms {
  kind: Kind;
  urgency: Urgency;
}

export interface Deadline {
  stage: Stage;
  startedAt: number;
  dueAt: number;
  /** Working minutes the stage was given, extensions included. */
  allowedMinutes: number;
}

export function handleDays(policy: DeadlinePolicy, terms: AppealTerms): number {
  return policy.handle.by === 'kind' ? policy.handle.days[terms.kind] : policy.handle.days[terms.urgency];
}

/** Working days the running stage may still be extended by (0 when extension is not allowed). */
export function extensionRoom(policy: DeadlinePolicy, terms: AppealTerms, state: AppealState): number {
  if (state.stage !== 'handle' || !policy.extension.kinds.includes(terms.kind)) return 0;
  return Math.max(0, policy.extension.maxDays - state.extensionDays);
}

/** The running clock of an appeal, or null when none runs (closed, merged, awaiting close). */
export function deadlineOf(state: AppealState, terms: AppealTerms, policy: DeadlinePolicy): Deadline | null {
  if (state.stage === null || state.stageStartedAt === null) return null;
  const perDay = dayLength(policy.hours);
  const daysFor =
    state.stage === 'dispatch' ? policy.dispatchDays : state.stage === 'visit' ? policy.visitDays : handleDays(policy, terms) + state.extensionDays;
  // After a reply sent back for redo the clock resumes: what the owner had already spent counts.
  const spent = state.stage === 'handle' ? state.handleSpent.reduce((sum, [from, to]) => sum + workingMinutesBetween(from, to, policy.hours), 0) : 0;
  const allowedMinutes = Math.max(0, Math.round(daysFor * perDay - spent));
  return { stage: state.stage, startedAt: state.stageStartedAt, dueAt: addWorkingMinutes(state.stageStartedAt, allowedMinutes, policy.hours), allowedMinutes };
}

export type WarningLevel = 'none' | WarningStage;

/** Working minutes left until `dueAt` (negative once overdue). */
export function minutesLeft(dueAt: number, now: number, policy: DeadlinePolicy): number {
  return workingMinutesBetween(now, dueAt, policy.hours);
}

export function warningLevel(dueAt: number | null, now: number, policy: DeadlinePolicy): WarningLevel {
  if (dueAt === null) return 'none';
  const left = minutesLeft(dueAt, now, policy);
  if (now > dueAt) return -left >= policy.severeAfterDays * dayLength(policy.hours) ? 'severe' : 'overdue';
  return left <= policy.dueSoonHours * 60 ? 'due_soon' : 'none';
}

/** The supervision level (0 = none) an appeal has earned by being overdue. */
export function supervisionDue(dueAt: number | null, now: number, policy: DeadlinePolicy): number {
  if (dueAt === null || now <= dueAt) return 0;
  const overdueDays = -minutesLeft(dueAt, now, policy) / dayLength(policy.hours);
  return policy.supervisionAfterDays.filter((d) => overdueDays >= d).length;
}

/** Time left split as the queues show it: whole working days and the remaining hours. */
/**
 * Which message says a span of working time, and with what: only the parts that are not zero
 * ("1 个工作日", never "1 个工作日 0 小时"), and English's singular day.
 */
export function spanMessage(left: { days: number; hours: number; minutes: number }): { key: string; params: Record<string, number> } {
  const one = left.days === 1 ? '.one' : '';
  if (left.days > 0) return left.hours > 0 ? { key: `time.daysHours${one}`, params: { days: left.days, hours: left.hours } } : { key: `time.days${one}`, params: { days: left.days } };
  return left.hours > 0 ? { key: 'time.hours', params: { hours: left.hours, minutes: left.minutes } } : { key: 'time.minutes', params: { minutes: left.minutes } };
}

export function splitWorkingTime(minutes: number, policy: DeadlinePolicy): { overdue: boolean; days: number; hours: number; minutes: number } {
  const abs = Math.abs(minutes);
  const perDay = dayLength(policy.hours);
  const days = Math.floor(abs / perDay);
  const rest = abs - days * perDay;
  return { overdue: minutes < 0, days, hours: Math.floor(rest / 60), minutes: Math.floor(rest % 60) };
}
