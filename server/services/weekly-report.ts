import type { DeadlinePolicy } from '../../src/core/deadline';
import type { ReportPeriodKind } from '../../src/core/report-period';
import type { Scorecard } from '../../src/core/scorecard';
import { DEFAULT_TREND_RULE } from '../../src/core/trends';
import { reportLevel, unitKindsAt, type ReportLevel } from '../../src/core/units';
import { buildWeeklyReport, issuable, lastIssuablePeriod, periodOf, reportSince, scopeKey as keyOf, type WeeklyReport, type WeeklyReportAnswer } from '../../src/core/weekly-report';
import type { IssuedReportSummary, Store } from '../store/types';

// The weekly and monthly report (src/core/weekly-report.ts) for one scope: composed from the
// store's ranking rows, and issued (stored once) when its period has closed, so a past report
// is served as it was issued. The periodic job issues the deployment's own reports as each
// period closes; any other scope's report is issued the first time someone asks for it after
// its period closed.

export interface WeeklyReportDeps {
  policy: DeadlinePolicy;
  scorecard: Scorecard;
}

export interface ReportScope {
  regions: string[];
  /** A department handler's departments; undefined: every department. */
  departments: string[] | undefined;
}

/** The key a scope's reports are stored under (src/core/weekly-report.ts). */
export const scopeKey = ({ regions, departments }: ReportScope): string => keyOf(regions, departments);

export async function composeReport(store: Store, deps: WeeklyReportDeps, scope: ReportScope, kind: ReportPeriodKind, at: number, now: number): Promise<WeeklyReport> {
  const level: ReportLevel = reportLevel(scope.regions);
  const rows = await store.rankRows(scope.regions, scope.departments, reportSince(kind, at, deps.policy.repeat, DEFAULT_TREND_RULE));
  return buildWeeklyReport({
    kind,
    at,
    level,
    // A department handler's report ranks departments only: its towns would be its own appeals split by place.
    kinds: scope.departments ? ['dept'] : unitKindsAt(level),
    rows,
    hours: deps.policy.hours,
    repeat: deps.policy.repeat,
    scorecard: deps.scorecard,
    trendRule: DEFAULT_TREND_RULE,
    generatedAt: now,
  });
}

/**
 * The report of the period of `kind` holding `at`: the issued one once its period has closed
 * (ISSUE_AFTER_MS ago; issuing it now if nobody had), else composed live.
 */
export async function weeklyReportFor(store: Store, deps: WeeklyReportDeps, scope: ReportScope, kind: ReportPeriodKind, at: number, now: number): Promise<WeeklyReportAnswer> {
  const key = scopeKey(scope);
  const period = periodOf(kind, at);
  if (!issuable(period, now)) return { scope: key, issuedAt: null, report: await composeReport(store, deps, scope, kind, at, now) };
  const stored = await store.issuedReport(key, kind, period.label);
  if (stored) return { scope: key, issuedAt: stored.issuedAt, report: JSON.parse(stored.body) as WeeklyReport };
  const report = await composeReport(store, deps, scope, kind, at, now);
  // Another instance may have issued it meanwhile: the first stored wins, and is what is served.
  const issued = await store.issueReport({ scope: key, kind, label: period.label, from: period.from, to: period.to, issuedAt: now, body: JSON.stringify(report) });
  return { scope: key, issuedAt: issued.issuedAt, report: JSON.parse(issued.body) as WeeklyReport };
}

/**
 * The job's work: issues the last closed week's and month's reports of the deployment's whole
 * region (`prefix`), those not issued yet. Returns what it issued now (nothing on a second run).
 */
export async function issueDueReports(store: Store, deps: WeeklyReportDeps, prefix: string, now: number): Promise<IssuedReportSummary[]> {
  const scope: ReportScope = { regions: [prefix], departments: undefined };
  const key = scopeKey(scope);
  const out: IssuedReportSummary[] = [];
  for (const kind of ['week', 'month'] as const) {
    const period = lastIssuablePeriod(kind, now);
    if (await store.issuedReport(key, kind, period.label)) continue;
    const answer = await weeklyReportFor(store, deps, scope, kind, period.from, now);
    if (answer.issuedAt === now) out.push({ scope: key, kind, label: period.label, from: period.from, to: period.to, issuedAt: now });
  }
  return out;
}
