import * as v from 'valibot';
import { scrubPublicText } from './privacy';
import { inRegion, regionPrefix } from './regions';
import { regionInScope, type Role, type SessionUser } from './roles';

// Online Q&A sessions (在线访谈): the head of a bureau or a town goes "online" for a couple of
// hours; citizens post questions on the public pages before and during the session; the host's
// staff let them show, answer them live, and may turn one into an appeal. The session's state
// follows from its times alone, so every server instance and every page agrees on it.

/** Who may host a session: those who speak for a unit in public (a town, a county desk, a department, leaders). */
export const QA_ROLES: readonly Role[] = ['town_official', 'dept_handler', 'county_dispatcher', 'city_dispatcher', 'leader'];

export const MIN_QUESTION_CHARS = 4;
export const MAX_QUESTION_CHARS = 300;
export const MAX_ANSWER_CHARS = 1000;
export const MAX_TOPIC_CHARS = 60;
export const MAX_HOST_CHARS = 40;
/** A session lasts at most this long (Wuhan's run two hours). */
export const MAX_SESSION_MS = 8 * 3_600_000;
/** How often a live session's public page reloads itself (a Refresh header, no script): short enough to follow, light on 2G. */
export const LIVE_REFRESH_SECONDS = 20;

export type QaState = 'upcoming' | 'live' | 'ended';
export type QuestionStatus = 'pending' | 'approved' | 'rejected';

export interface QaSession {
  id: string;
  topic: string;
  /** The host's public title and unit ("县水务局局长"): never a person's phone. */
  host: string;
  /** A county (6 digits) or a town (12 digits ending 000). */
  region: string;
  /** The department the session speaks for, when a department hosts it. */
  dept: string | null;
  startsAt: number;
  endsAt: number;
  createdBy: string;
  createdAt: number;
}

export interface QaQuestion {
  id: string;
  sessionId: string;
  body: string;
  status: QuestionStatus;
  createdAt: number;
  answer: string | null;
  answeredAt: number | null;
  answeredBy: string | null;
  /** The appeal the question was turned into, and its evaluation code for the public page. */
  appealId: string | null;
  evalCode: string | null;
}

export function qaState(s: Pick<QaSession, 'startsAt' | 'endsAt'>, now: number): QaState {
  if (now < s.startsAt) return 'upcoming';
  return now < s.endsAt ? 'live' : 'ended';
}

/** Citizens ask before and during a session, never after it. */
export function acceptsQuestions(s: Pick<QaSession, 'startsAt' | 'endsAt'>, now: number): boolean {
  return qaState(s, now) !== 'ended';
}

/** The host's staff answer, approve and convert while it is upcoming or live, and tidy up for a day after. */
export const LATE_ANSWER_MS = 24 * 3_600_000;
export function acceptsAnswers(s: Pick<QaSession, 'endsAt'>, now: number): boolean {
  return now < s.endsAt + LATE_ANSWER_MS;
}

export type QuestionError = 'required' | 'too_short' | 'too_long';

/** A citizen's question as typed: trimmed, within the length limits (counted in characters, not UTF-16 units). */
export function checkQuestion(raw: unknown): { ok: true; value: string } | { ok: false; error: QuestionError } {
  const text = typeof raw === 'string' ? raw.replace(/\r\n?/g, '\n').trim() : '';
  const length = [...text].length;
  if (length === 0) return { ok: false, error: 'required' };
  if (length < MIN_QUESTION_CHARS) return { ok: false, error: 'too_short' };
  if (length > MAX_QUESTION_CHARS) return { ok: false, error: 'too_long' };
  return { ok: true, value: text };
}

/** Text that the privacy scrub would change carries a number that looks like a phone or an ID: refused in a public title. */
const carriesNumber = (s: string) => scrubPublicText(s, null) !== s;

const text = (min: number, max: number) => v.pipe(v.string(), v.trim(), v.minLength(min), v.maxLength(max));

export const NewQaSessionSchema = v.pipe(
  v.strictObject({
    topic: text(2, MAX_TOPIC_CHARS),
    host: v.pipe(text(2, MAX_HOST_CHARS), v.check((h) => !carriesNumber(h), 'the host is a public title and unit, with no phone number')),
    region: v.pipe(v.string(), v.regex(/^\d{6}$|^\d{9}000$/, 'a county (6 digits) or a town (12 digits ending 000)')),
    dept: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(40))),
    startsAt: v.pipe(v.number(), v.integer(), v.minValue(0)),
    endsAt: v.pipe(v.number(), v.integer(), v.minValue(0)),
  }),
  v.check((s) => s.endsAt > s.startsAt && s.endsAt - s.startsAt <= MAX_SESSION_MS, 'a session ends after it starts, within 8 hours'),
);
export type NewQaSession = v.InferOutput<typeof NewQaSessionSchema>;

export const AnswerSchema = v.strictObject({ id: v.pipe(v.string(), v.uuid()), answer: text(1, MAX_ANSWER_CHARS) });
export const VerdictSchema = v.strictObject({ id: v.pipe(v.string(), v.uuid()), verdict: v.picklist(['approved', 'rejected']) });
export const ToAppealSchema = v.strictObject({ id: v.pipe(v.string(), v.uuid()), village: v.optional(v.pipe(v.string(), v.regex(/^\d{12}$/))) });

type Who = Pick<SessionUser, 'id' | 'role' | 'scope'>;

/**
 * Whether `user` may schedule a session for `region` (and `dept`): a host role whose scope
 * covers the whole region; a department handler only for one of their own departments.
 */
export function mayHost(user: Who, region: string, dept: string | null): boolean {
  if (!QA_ROLES.includes(user.role) || !regionInScope(user.scope, regionPrefix(region))) return false;
  if (user.role === 'dept_handler') return dept !== null && user.scope.departments.includes(dept);
  return dept === null || user.scope.departments.length === 0 || user.scope.departments.includes(dept);
}

/** Whether `user` may moderate, answer and convert the questions of a session: its creator, or anyone who could host it. */
export function mayManage(user: Who, s: Pick<QaSession, 'region' | 'dept' | 'createdBy'>): boolean {
  if (!QA_ROLES.includes(user.role)) return false;
  return s.createdBy === user.id || mayHost(user, s.region, s.dept);
}

/** Whether a user sees a session in their list: it touches their area (theirs to manage or not). */
export function sessionTouches(user: Who, s: Pick<QaSession, 'region'>): boolean {
  const prefix = regionPrefix(s.region);
  return user.scope.regions.some((r) => r.startsWith(prefix) || prefix.startsWith(r));
}

/**
 * The village an appeal made from a question is recorded in: the one the official chose when it
 * lies in the session's area, else the area's first village in code order (a citizen online has
 * no village; the description says the place came from the session). Null when the area has none.
 */
export function placeForAppeal(s: Pick<QaSession, 'region'>, villages: Iterable<string>, chosen: string | undefined): { village: string; guessed: boolean } | null {
  const inArea = [...villages].filter((code) => inRegion(s.region, code)).sort();
  if (chosen && inArea.includes(chosen)) return { village: chosen, guessed: false };
  return inArea[0] ? { village: inArea[0], guessed: true } : null;
}

/** The public page's order: sessions live now first, then the soonest upcoming, then the latest ended. */
export function orderSessions<T extends Pick<QaSession, 'startsAt' | 'endsAt' | 'id'>>(sessions: readonly T[], now: number): { live: T[]; upcoming: T[]; ended: T[] } {
  const by = (state: QaState) => sessions.filter((s) => qaState(s, now) === state);
  return {
    live: by('live').sort((a, b) => a.endsAt - b.endsAt || (a.id < b.id ? -1 : 1)),
    upcoming: by('upcoming').sort((a, b) => a.startsAt - b.startsAt || (a.id < b.id ? -1 : 1)),
    ended: by('ended').sort((a, b) => b.endsAt - a.endsAt || (a.id < b.id ? -1 : 1)),
  };
}
