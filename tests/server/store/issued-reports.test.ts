import { expect, it } from 'vitest';
import { startReportIssuer } from '../../../server/jobs/weekly-reports';
import { issueDueReports } from '../../../server/services/weekly-report';
import { openSqliteStore } from '../../../server/store/sqlite';
import type { Store } from '../../../server/store/types';
import { DEFAULT_SCORECARD } from '../../../src/core/scorecard';
import type { WeeklyReport } from '../../../src/core/weekly-report';
import { tempDir } from '../../helpers/server';
import { eachStore, POLICY, storeProjection } from './stores';

// Issued weekly and monthly reports (server/store/issued-reports) on both stores, and the job
// that issues them once a period has closed: once per period and scope, whoever runs it when.

const cst = (s: string) => Date.parse(`${s}+08:00`);
const deps = { policy: POLICY, scorecard: DEFAULT_SCORECARD };
const report = (label: string, issuedAt: number, body = '{}') => ({ scope: '371324|*', kind: 'week' as const, label, from: cst(`${label}T00:00:00`), to: cst(`${label}T00:00:00`) + 7 * 86_400_000, issuedAt, body });

/** Waits (without timing anything) until `check` holds. */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

eachStore('issued reports', (use) => {
  it('keeps the first report issued for a period and scope, and lists the latest first', () =>
    use(async (store) => {
      expect(await store.issueReport(report('2026-11-09', 1, '{"a":1}'))).toEqual(report('2026-11-09', 1, '{"a":1}'));
      // A second issuer (another instance, a restart) gets the first one back.
      expect(await store.issueReport(report('2026-11-09', 2, '{"a":2}'))).toEqual(report('2026-11-09', 1, '{"a":1}'));
      await store.issueReport(report('2026-11-16', 3));
      await store.issueReport({ ...report('2026-11-16', 3), scope: '371324101|*' });
      expect((await store.issuedReports('371324|*', 10)).map((r) => [r.label, r.issuedAt])).toEqual([['2026-11-16', 3], ['2026-11-09', 1]]);
      expect(await store.issuedReports('371324|*', 1)).toEqual([{ scope: '371324|*', kind: 'week', label: '2026-11-16', from: report('2026-11-16', 3).from, to: report('2026-11-16', 3).to, issuedAt: 3 }]);
      expect(await store.issuedReport('371324|*', 'month', '2026-11')).toBeNull();
    }));

  it('issues the last closed week and month six hours after they close, once', () =>
    use(async (store) => {
      await storeProjection(store, { createdAt: cst('2026-11-17T10:00:00') });
      // Sunday night: the week of 16 November has not closed.
      expect((await issueDueReports(store, deps, '371324', cst('2026-11-22T23:00:00'))).map((r) => [r.kind, r.label])).toEqual([['week', '2026-11-09'], ['month', '2026-10']]);
      // Monday 05:00: closed, but phones offline late on Sunday may still sync.
      expect(await issueDueReports(store, deps, '371324', cst('2026-11-23T05:00:00'))).toEqual([]);
      const monday = cst('2026-11-23T06:30:00');
      // Two instances at once: one report.
      const [a, b] = await Promise.all([issueDueReports(store, deps, '371324', monday), issueDueReports(store, deps, '371324', monday)]);
      expect([...a, ...b].map((r) => r.label)).toContain('2026-11-16');
      expect(await issueDueReports(store, deps, '371324', monday + 3_600_000)).toEqual([]);
      expect((await store.issuedReports('371324|*', 10)).map((r) => [r.kind, r.label])).toEqual([['week', '2026-11-16'], ['week', '2026-11-09'], ['month', '2026-10']]);
      const issued = JSON.parse((await store.issuedReport('371324|*', 'week', '2026-11-16'))!.body) as WeeklyReport;
      expect(issued.headline.received.current).toBe(1);
      expect(issued.level).toBe('county');
    }));

  it('runs as a periodic job with the clock it is given', () =>
    use(async (store) => {
      const stop = startReportIssuer(store, deps, '371324', 60_000, () => cst('2026-12-01T07:00:00'));
      try {
        await until(async () => (await store.issuedReports('371324|*', 10)).length === 2);
        expect((await store.issuedReports('371324|*', 10)).map((r) => [r.kind, r.label])).toEqual([['month', '2026-11'], ['week', '2026-11-23']]);
      } finally {
        stop();
      }
    }));
});

it('does not issue a report again after a restart (SQLite on disk)', async () => {
  const dir = tempDir();
  const now = cst('2026-11-30T08:00:00');
  let store: Store = openSqliteStore(dir);
  expect(await issueDueReports(store, deps, '371324', now)).toHaveLength(2);
  await store.close();
  store = openSqliteStore(dir);
  try {
    expect(await issueDueReports(store, deps, '371324', now + 3_600_000)).toEqual([]);
    expect(await store.issuedReports('371324|*', 10)).toHaveLength(2);
  } finally {
    await store.close();
  }
});
