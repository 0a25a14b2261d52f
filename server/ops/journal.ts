// What the administrator's status page tells of this process: when it started, how its
// periodic jobs last ran, and how many errors it met in the last day and where. Labels are
// fixed strings chosen in the code (a job's name, a part of the server), never request data,
// so nothing personal is kept. Several servers in one process (tests) share it.

const DAY_MS = 24 * 60 * 60_000;
/** Enough to count a bad day without growing without bound. */
const MAX_ERRORS = 10_000;

export interface JobRun {
  at: number;
  ok: boolean;
  ms: number;
}

export interface JobStatus {
  name: string;
  last: JobRun;
  runs: number;
  failures: number;
}

export interface OpsSnapshot {
  startedAt: number;
  jobs: JobStatus[];
  errors: { lastDay: number; byPart: Record<string, number>; latestAt: number | null };
}

const startedAt = Date.now();
const jobs = new Map<string, JobStatus>();
const errors: { at: number; part: string }[] = [];

export function jobRan(name: string, run: JobRun): void {
  const was = jobs.get(name);
  jobs.set(name, { name, last: run, runs: (was?.runs ?? 0) + 1, failures: (was?.failures ?? 0) + (run.ok ? 0 : 1) });
}

/** Counts an error met in `part` (e.g. 'push', 'api', 'deadline scan'). */
export function errorSeen(part: string, now = Date.now()): void {
  errors.push({ at: now, part });
  if (errors.length > MAX_ERRORS) errors.splice(0, errors.length - MAX_ERRORS);
}

export function opsSnapshot(now = Date.now()): OpsSnapshot {
  const since = now - DAY_MS;
  while (errors.length > 0 && errors[0]!.at < since) errors.shift();
  const byPart: Record<string, number> = {};
  for (const e of errors) byPart[e.part] = (byPart[e.part] ?? 0) + 1;
  return { startedAt, jobs: [...jobs.values()].sort((a, b) => a.name.localeCompare(b.name)), errors: { lastDay: errors.length, byPart, latestAt: errors.at(-1)?.at ?? null } };
}
