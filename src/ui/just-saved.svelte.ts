// The appeal a person has just recorded goes first in the list they come back to, marked
// as such: sorted by deadline among a town's hundred, it would otherwise sit out of sight,
// and "did it save?" is the first thing anyone checks.
import type { AppealProjection } from '../core/projection';

/** How long it stays first: the moments after recording, not the rest of the day. */
const PINNED_MS = 10 * 60_000;
/**
 * How long the list may show the saved row itself while its live query has not read it back:
 * the list comes up with it at once on a slow phone, and the stored row replaces it.
 */
const STAND_IN_MS = 2_000;

const state = $state({ id: null as string | null, at: 0, row: null as AppealProjection | null });
let standIn: ReturnType<typeof setTimeout> | undefined;

export function markJustSaved(row: AppealProjection, now = Date.now()): void {
  state.id = row.id;
  state.at = now;
  state.row = row;
  clearTimeout(standIn);
  standIn = setTimeout(() => (state.row = null), STAND_IN_MS);
}

/** The appeal to show first, if one was saved in the last minutes. */
export function justSaved(now: number): string | null {
  return state.id && now - state.at < PINNED_MS ? state.id : null;
}

/** `rows` as read, with the appeal just saved added if the read has not caught up with it yet. */
export function withJustSaved<R extends { id: string }>(rows: R[] | null | undefined): R[] | null | undefined {
  const row = state.row as R | null;
  if (!rows || !row || rows.some((r) => r.id === row.id)) return rows;
  return [...rows, row];
}
