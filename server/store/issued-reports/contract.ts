/**
 * The weekly and monthly reports as issued when their period closed (src/core/weekly-report.ts):
 * one per kind, period and scope, kept as JSON so a past report reads as it was issued even
 * after later syncs change the figures. Issuing is idempotent: the first stored wins, and a
 * second instance or a restart issuing the same report gets the stored one back.
 */
export interface IssuedReportStore {
  /** Stores `report` unless one is stored for its kind, label and scope; returns the one stored. */
  issueReport(report: IssuedReport): Promise<IssuedReport>;
  issuedReport(scope: string, kind: string, label: string): Promise<IssuedReport | null>;
  /** The scope's reports without their bodies, latest period first. */
  issuedReports(scope: string, limit: number): Promise<IssuedReportSummary[]>;
}

export interface IssuedReportSummary {
  /** Whose report: the region prefixes and departments it covers (see server/services/weekly-report.ts). */
  scope: string;
  kind: 'week' | 'month';
  /** The period's label ("2026-11-23", "2026-11"). */
  label: string;
  from: number;
  to: number;
  issuedAt: number;
}

export interface IssuedReport extends IssuedReportSummary {
  /** The report, as JSON. */
  body: string;
}
