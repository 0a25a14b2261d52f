import * as v from 'valibot';
import * as Y from 'yjs';
import { eventsOf, readAppeal } from './doc';
import { eventsToResend } from './history';
import { isUuidV7 } from './id';
import { MAX_NAME_CHARS } from './limits';
import { ROLES, type SessionUser } from './roles';
import { userTier } from './tiers';

// What a county server relays up to its city (issue 25). Accounts are mastered at the county
// server: its people log in there while the line to the city is down, and every update it
// relays carries the records (never passwords) of the people who wrote it. The city judges
// each event as its author, with the same rules as a phone's push (accept.ts), and takes an
// author only inside the relaying county and below the city's tier. The county server's own
// writes (its deadline scanner, its public pages and Open311 intake) carry no account: their
// ids are not UUIDs, and the county server answers for them inside its county.

/** One author's record as a county server sends it: who they are and what they may do there. */
export const AuthorRecord = v.strictObject({
  id: v.pipe(v.string(), v.check((s: string) => isUuidV7(s), 'an author id is a UUIDv7')),
  username: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  displayName: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_NAME_CHARS)),
  role: v.picklist(ROLES),
  scope: v.strictObject({ regions: v.pipe(v.array(v.pipe(v.string(), v.regex(/^\d{4,12}$/))), v.maxLength(64)), departments: v.pipe(v.array(v.pipe(v.string(), v.maxLength(64))), v.maxLength(64)) }),
});
export type AuthorRecord = v.InferOutput<typeof AuthorRecord>;

/** Who an event's actor is to the city: a person the county vouches for, the county server itself, or no one it may speak for. */
export type RelayedAuthor = { kind: 'person'; user: SessionUser } | { kind: 'server' } | null;

/** Ids the county server writes under itself (SYSTEM, the public pages, Open311 intake): never a person's account. */
export function isServerActor(id: string): boolean {
  return !isUuidV7(id);
}

/** Why the city does not take `record` as an author of county `county`, or null when it does. */
export function authorRefusal(record: AuthorRecord, county: string): string | null {
  if (record.scope.regions.length === 0) return 'an author works somewhere: the scope lists no region';
  if (!record.scope.regions.every((r) => r.length >= 6 && r.startsWith(county))) return `an author of county ${county} works inside it`;
  const tier = userTier(record);
  if (record.role === 'city_dispatcher' || tier === 'city') return 'a county server does not speak for the city tier';
  return null;
}

/**
 * Resolves event actors for a relayed batch: the records it carried, each checked against
 * the county; a server id; or null (a city account, or someone the batch did not vouch for).
 */
export function relayedAuthors(records: readonly AuthorRecord[], county: string): { authorOf: (id: string) => RelayedAuthor; refused: { id: string; why: string }[] } {
  const people = new Map<string, SessionUser>();
  const refused: { id: string; why: string }[] = [];
  for (const r of records) {
    const why = authorRefusal(r, county);
    if (why) refused.push({ id: r.id, why });
    else people.set(r.id, { id: r.id, username: r.username, displayName: r.displayName, role: r.role, scope: { regions: [...r.scope.regions], departments: [...r.scope.departments] } });
  }
  return {
    authorOf: (id) => {
      const user = people.get(id);
      if (user) return { kind: 'person', user };
      return isServerActor(id) ? { kind: 'server' } : null;
    },
    refused,
  };
}

/**
 * The city refused a county's change to a document as `history_rewritten`: Yjs placed the
 * county's events (made while the line was down) before the city's concurrent ones. As a phone
 * does (rebaseDoc in src/store/docs.ts), the county moves its events the city lacks to the end,
 * unchanged, where the city judges them as the honest race they were. A county server cannot
 * throw its copy away (its phones hold it), so the move is a change of its own: the events are
 * deleted where they stand and appended again after the city's. Returned merged with the
 * refused change, so the city receives the events' first placement with their move.
 * Null when the city already has every event (nothing to move).
 */
export function rebaseRelayed(docId: string, base: Uint8Array, refused: Uint8Array): Uint8Array | null {
  const city = new Y.Doc();
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(city, base);
    Y.applyUpdate(doc, base);
    Y.applyUpdate(doc, refused);
    const theirs = readAppeal(city, docId).events;
    const moved = eventsToResend(readAppeal(doc, docId).events, theirs);
    if (moved.length === 0) return null;
    const ids = new Set(moved.map((e) => (e as { id?: unknown }).id));
    const captured: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => captured.push(u));
    doc.transact(() => {
      const events = eventsOf(doc);
      for (let i = events.length - 1; i >= 0; i--) {
        if (ids.has((events.get(i) as { id?: unknown }).id)) events.delete(i, 1);
      }
      events.push(moved);
    });
    return Y.mergeUpdates([refused, ...captured]);
  } finally {
    city.destroy();
    doc.destroy();
  }
}
