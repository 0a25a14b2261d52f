import type { Role } from './roles';

// Where a new appeal first waits for dispatch. One a dispatcher takes in on their device (the
// county platform's or the city center's hotline) waits at that desk, so it is on that desk's
// queue and device; one recorded anywhere else, or taken in by the server (public pages,
// Open311), waits at its village's desk. The server refuses any other desk (accept.ts).

export function recordingDesk(role: Role | string): 'county' | 'city' | null {
  // A deputy's post (deputy.ts) goes straight to the county platform, which assigns it to a department.
  return role === 'county_dispatcher' || role === 'deputy' ? 'county' : role === 'city_dispatcher' ? 'city' : null;
}
