import type { WeeklyReportAnswer } from '../core/weekly-report';
import type { MinshengDB } from './db';

// The weekly and monthly reports a leader has opened, kept on the device so a past report
// reads offline once viewed (issue 28). Only issued reports are kept: they never change, while
// a running period's figures would go stale. They live in `meta`, one row per report, so no
// schema change is needed; a report of another shape (WEEKLY_REPORT_VERSION) is not shown.

const PREFIX = 'weeklyReport:';
const keyOf = (scope: string, kind: string, label: string) => `${PREFIX}${scope}:${kind}:${label}`;

export async function keepReport(db: MinshengDB, answer: WeeklyReportAnswer): Promise<void> {
  if (answer.issuedAt === null) return;
  await db.meta.put({ key: keyOf(answer.scope, answer.report.kind, answer.report.period.label), value: answer });
}

export async function keptReport(db: MinshengDB, scope: string, kind: string, label: string, version: number): Promise<WeeklyReportAnswer | null> {
  const row = await db.meta.get(keyOf(scope, kind, label));
  const answer = row?.value as WeeklyReportAnswer | undefined;
  return answer?.report?.version === version ? answer : null;
}

/** The scope's kept reports, latest period first. */
export async function keptReports(db: MinshengDB, scope: string): Promise<WeeklyReportAnswer[]> {
  const rows = await db.meta.where('key').startsWith(`${PREFIX}${scope}:`).toArray();
  return rows.map((r) => r.value as WeeklyReportAnswer).sort((a, b) => b.report.period.to - a.report.period.to || (a.report.kind < b.report.kind ? 1 : -1));
}
