import { fold, type AppealState } from './fold';
import { foldMeeting } from './meeting';

// The history rule. Rankings, red/black lists and accountability read an appeal's event
// history, so a pushed update may add to it and never change what is already there:
//
//   every stored event keeps its place among the others, is folded against exactly the
//   state it was folded against before, and reaches the same verdict (applied, or the
//   same conflict).
//
// Yjs may still place an honest offline event *before* stored ones (two devices that
// appended to the same end concurrently are ordered by client id, not by arrival). Such
// an event is kept where it lands when it changes nothing the stored events were judged
// on (a comment, or a race it lost, folded as a conflict note). When it would change
// them, the update is refused as `history_rewritten` and the device appends the same
// events again at the end (`rebaseDoc` in src/store/docs.ts), where the workflow judges
// them as the honest race they are. An attacker's insertion in the middle is refused the
// same way: from the server's side the two cannot be told apart, and need not be.
//
// The fold keeps its own half of the rule (a duplicate id, or an event placed before its own
// basis, is a conflict, never applied); `checkHistory` in accept.ts calls `historyChange`
// below, and nothing else decides it.

/** Why an update would rewrite history, for the refusal's detail. */
export type HistoryChange =
  | { kind: 'duplicate_id'; index: number; id: string }
  | { kind: 'rewritten'; index: number; id: string | null };

export interface HistoryMatch {
  /** For each stored event, its index in the new array. */
  oldAt: number[];
  /** Indexes of the events the update adds, in array order. */
  added: number[];
}

const key = (e: unknown) => JSON.stringify(e);
const idOf = (e: unknown): string | null => (typeof e === 'object' && e !== null && typeof (e as { id?: unknown }).id === 'string' ? (e as { id: string }).id : null);

/**
 * Matches the stored events in the new array (each, in order, to the first identical
 * event after the previous match); `{ removed }` names the first stored event that is gone
 * or changed.
 */
export function matchHistory(before: readonly unknown[], after: readonly unknown[]): HistoryMatch | { removed: number } {
  const keys = after.map(key);
  const oldAt: number[] = [];
  let at = 0;
  for (const [i, e] of before.entries()) {
    const k = key(e);
    while (at < keys.length && keys[at] !== k) at++;
    if (at === keys.length) return { removed: i };
    oldAt.push(at++);
  }
  const old = new Set(oldAt);
  return { oldAt, added: after.map((_, i) => i).filter((i) => !old.has(i)) };
}

/** What a stored event was judged on and what it was judged: the same before and after. */
type Judgement = { verdict: string; on: string };
type Judge = (events: readonly unknown[]) => Judgement[];

// Counters and the conflict list move with every event; what the rules read is the rest.
const BOOKKEEPING = new Set<keyof AppealState>(['applied', 'lastAppliedId', 'lastEventAt', 'conflicts']);
const meaning = (s: AppealState) => JSON.stringify(s, (k, v) => (BOOKKEEPING.has(k as keyof AppealState) ? undefined : v));

export const judgeAppeal = (id: string): Judge => (events) => {
  const out: Judgement[] = events.map(() => ({ verdict: 'applied', on: '' }));
  const state = fold(events, id, (_e, before, index) => (out[index]!.on = meaning(before)));
  for (const c of state.conflicts) out[c.index]!.verdict = c.reason;
  return out;
};

export const judgeMeeting: Judge = (events) =>
  events.map((e, index) => ({ verdict: 'applied', on: JSON.stringify(foldMeeting(events.slice(0, index))) + key(idOf(e)) }));

/**
 * The one check of the history rule. `match` comes from `matchHistory`; `judge` folds a
 * document of this form. Null when the update only adds.
 */
export function historyChange(before: readonly unknown[], after: readonly unknown[], match: HistoryMatch, judge: Judge): HistoryChange | null {
  const ids = new Map<string, number>();
  for (const [i, e] of after.entries()) {
    const id = idOf(e);
    if (id !== null) ids.set(id, (ids.get(id) ?? 0) + 1);
  }
  for (const i of match.added) {
    const id = idOf(after[i]);
    if (id !== null && ids.get(id)! > 1) return { kind: 'duplicate_id', index: i, id };
  }
  // Events added after the last stored one cannot touch it: skip the folds for the usual push.
  const lastOld = match.oldAt.at(-1) ?? -1;
  if (!match.added.some((i) => i < lastOld)) return null;
  const was = judge(before);
  const now = judge(after);
  for (const [i, at] of match.oldAt.entries()) {
    if (was[i]!.verdict !== now[at]!.verdict || was[i]!.on !== now[at]!.on) return { kind: 'rewritten', index: i, id: idOf(before[i]) };
  }
  return null;
}

/**
 * The events of `mine` that `theirs` lacks, in order: what a device appends again, at the
 * end and unchanged, after the server refused them as `history_rewritten`.
 */
export function eventsToResend(mine: readonly unknown[], theirs: readonly unknown[]): unknown[] {
  const known = new Set(theirs.map(idOf));
  return mine.filter((e) => !known.has(idOf(e)));
}
