import type { Sql } from '../sql';
import type { IssuedReport, IssuedReportStore, IssuedReportSummary } from './contract';

interface Row {
  scope: string;
  kind: 'week' | 'month';
  label: string;
  period_from: number;
  period_to: number;
  issued_at: number;
  body?: string;
}

const summary = (r: Row): IssuedReportSummary => ({ scope: r.scope, kind: r.kind, label: r.label, from: Number(r.period_from), to: Number(r.period_to), issuedAt: Number(r.issued_at) });
const GET = 'SELECT * FROM issued_reports WHERE scope = ? AND kind = ? AND label = ?';

export function issuedReportStore(sql: Sql): IssuedReportStore {
  const read = async (scope: string, kind: string, label: string): Promise<IssuedReport | null> => {
    const r = await sql.get<Row>(GET, [scope, kind, label]);
    return r ? { ...summary(r), body: r.body! } : null;
  };
  return {
    issueReport: async (r) => {
      await sql.run(
        'INSERT INTO issued_reports (scope, kind, label, period_from, period_to, issued_at, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, kind, label) DO NOTHING',
        [r.scope, r.kind, r.label, r.from, r.to, r.issuedAt, r.body],
      );
      return (await read(r.scope, r.kind, r.label))!;
    },
    issuedReport: read,
    issuedReports: async (scope, limit) =>
      (await sql.all<Row>('SELECT scope, kind, label, period_from, period_to, issued_at FROM issued_reports WHERE scope = ? ORDER BY period_to DESC, kind DESC LIMIT ?', [scope, limit])).map(summary),
  };
}
