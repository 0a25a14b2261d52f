import { boundedTier, holdsDoc, receivesWholeDocs, type HoldingRow } from '../../src/core/holdings';
import { mayViewContact, type ContactContext } from '../../src/core/privacy';
import { appealInScope, regionInScope } from '../../src/core/roles';
import type { Session } from './conn';

// What a connection's device receives of the documents: the rules of src/core for a person's
// device, or all of one county for a county server's uplink (issue 25), which keeps its
// county's documents in its own store and serves its own phones from there.

export interface Share {
  /** Region prefixes a document's village must start with to reach the device (the fan-out's index). */
  regions: readonly string[];
  /** The document lies in what the device may receive. */
  inScope(village: string, dept: string | null): boolean;
  /** The device keeps it now (src/core/holdings.ts), given the recent window's start. */
  holds(row: HoldingRow | null, recentSince: number): boolean;
  /** The catch-up's SQL narrowing: departments for a department, the desk's tier for a bounded one. */
  departments: string[] | undefined;
  bounded: 'county' | 'city' | null;
  /** Send whole documents, never deltas: the device may lack a document's history when it enters its share. */
  whole: boolean;
  /** The citizen's contact goes with the document. */
  contact(c: ContactContext): boolean;
}

// A connection keeps its session: its share is built once, not at each commit it is offered
// (ten thousand phones, each commit checked against every one of them).
const shares = new WeakMap<Session, Share>();

export function shareOf(session: Session): Share {
  let share = shares.get(session);
  if (!share) shares.set(session, (share = buildShare(session)));
  return share;
}

function buildShare({ user, relay }: Session): Share {
  if (relay) {
    const inCounty = (village: string) => village.startsWith(relay.county);
    return { regions: [relay.county], inScope: inCounty, holds: () => true, departments: undefined, bounded: null, whole: false, contact: (c) => !c.anonymous && inCounty(c.villageCode) };
  }
  return {
    regions: user.scope.regions,
    // A deputy's share is their own posts: the holding rule (holdings.ts) narrows the area to them.
    inScope: (village, dept) => (user.role === 'deputy' ? regionInScope(user.scope, village) : appealInScope(user, { villageCode: village, dept })),
    holds: (row, since) => holdsDoc(user, row, since),
    departments: user.role === 'dept_handler' ? user.scope.departments : undefined,
    bounded: boundedTier(user),
    whole: receivesWholeDocs(user),
    contact: (c) => mayViewContact(user, c),
  };
}
