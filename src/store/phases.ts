// The phases of a person's action, as User Timing measures ("save:build", "save:commit", …):
// the client bench prints each beside the whole action, at the desktop's CPU and a cheap
// phone's. Nothing in the app reads them.

/** Records phase `name` as having run from `start` (performance.now()) until now. */
export function phaseDone(name: string, start: number): number {
  const end = performance.now();
  performance.measure(name, { start, end });
  return end;
}
