import { boundedTier, holdsDoc, receivesWholeDocs, type HoldingRow } from '../../src/core/holdings';
import { mayViewContact, type ContactContext } from '../../src/core/privacy';
import { appealInScope, regionInScope } from '../../src/core/roles';
import type { Session } from './conn';

// What a connection's device receives of the documents: the rules of src/core for a person's
// device, or all of one county for a county server's uplink (issue 25), which keeps its
// county's documents in its own store and serves its own phones from there.

export interface Share {
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

export function shareOf({ user, relay }: Session): Share {
  if (relay) {
    const inCounty = (village: string) => village.startsWith(relay.county);
    return { inScope: inCounty, holds: () => true, departments: undefined, bounded: null, whole: false, contact: (c) => !c.anonymous && inCounty(c.villageCode) };
  }
  return {
    // A deputy's share is their own posts: the holding rule (holdings.ts) narrows the area to them.
    inScope: (village, dept) => (user.role === 'deputy' ? regionInScope(user.scope, village) : appealInScope(user, { villageCode: village, dept })),
    holds: (row, since) => holdsDoc(user, row, since),
    departments: user.role === 'dept_handler' ? user.scope.departments : undefined,
    bounded: boundedTier(user),
    whole: receivesWholeDocs(user),
    contact: (c) => mayViewContact(user, c),
  };
}
