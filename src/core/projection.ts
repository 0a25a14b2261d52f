import type { Channel, Kind, Urgency } from './appeal';
import type { Tier } from './events';
import { fold, type AppealState, type Status } from './fold';
import type { AppealSnapshot } from './doc';
import { townOf } from './regions';

/**
 * The columns both stores index for queues, lists and the map. Always derived from the
 * document, never edited: re-project after every change.
 */
export interface AppealProjection {
  id: string;
  status: Status;
  tier: Tier;
  village: string;
  town: string;
  urgency: Urgency;
  category: string;
  channel: Channel;
  kind: Kind;
  dept: string | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  /** Unix ms; null until the deadline policy assigns one. */
  dueAt: number | null;
  /** First line of the description, for lists. */
  title: string;
  anonymous: boolean;
  conflicts: number;
  reopenCount: number;
}

const TITLE_CHARS = 80;

export function titleOf(description: string): string {
  // CRLF or lone CR end a line too; a cut never splits a surrogate pair (emoji).
  const line = (description.trim().split(/\r\n|\r|\n/, 1)[0] ?? '').trimEnd();
  if (line.length <= TITLE_CHARS) return line;
  const cut = /[\uD800-\uDBFF]/.test(line.charAt(TITLE_CHARS - 2)) ? TITLE_CHARS - 2 : TITLE_CHARS - 1;
  return line.slice(0, cut) + '…';
}

export function project(snapshot: AppealSnapshot, state: AppealState = fold(snapshot.events)): AppealProjection {
  const f = snapshot.fields;
  const village = String(f.villageCode ?? '');
  const createdAt = typeof f.createdAt === 'number' ? f.createdAt : 0;
  const citizen = f.citizen as { anonymous?: boolean } | undefined;
  return {
    id: snapshot.id,
    status: state.status ?? 'new',
    tier: state.tier,
    village,
    town: village ? townOf(village) : '',
    urgency: f.urgency as Urgency,
    category: String(f.category ?? ''),
    channel: f.channel as Channel,
    kind: f.kind as Kind,
    dept: state.dept,
    createdBy: String(f.createdBy ?? ''),
    createdAt,
    updatedAt: Math.max(createdAt, state.lastEventAt ?? 0),
    dueAt: null,
    title: titleOf(snapshot.description),
    anonymous: citizen?.anonymous === true,
    conflicts: state.conflicts.length,
    reopenCount: state.reopenCount,
  };
}
