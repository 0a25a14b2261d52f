import { reportRegions } from '../core/units';
import { periodOf, scopeKey, WEEKLY_REPORT_VERSION, type WeeklyReportAnswer } from '../core/weekly-report';
import { t } from '../i18n/index.svelte';
import { keepReport, keptReport, keptReports } from '../store/report-cache';
import { areaParams, reportQuery as q } from './reportQuery.svelte';
import { app, authFetch, db } from './session.svelte';

// Loading the weekly or monthly report of the period picked (src/ui/WeeklyReportPage.svelte):
// from the server when the link is up, keeping each issued report on the device; from the
// device when it is down (or the server cannot answer), so a report viewed once opens offline.

export interface ReportSummary {
  kind: 'week' | 'month';
  label: string;
  from: number;
  to: number;
  issuedAt: number;
}

export interface WeeklyReportView {
  answer: WeeklyReportAnswer | null;
  /** Shown from the device's copy, not the server's. */
  fromDevice: boolean;
  error: string | null;
  loading: boolean;
  /** Past reports: the server's list when online, each marked when kept here (offline: those kept here). */
  past: (ReportSummary & { kept: boolean })[];
}

/** The query of the report picked (period, day and county looked into). */
export const weeklyQuery = () => new URLSearchParams({ period: q.period, at: q.at, ...areaParams() });

/** Loads the picked report whenever the pick or the link changes; call during component setup. */
export function useWeeklyReport(): WeeklyReportView {
  const view = $state<WeeklyReportView>({ answer: null, fromDevice: false, error: null, loading: false, past: [] });
  const user = $derived(app.session?.user);
  // The same key the server files the user's reports under.
  const scope = $derived(user ? scopeKey(reportRegions(user.scope.regions, q.county || null) ?? [], user.role === 'dept_handler' ? user.scope.departments : undefined) : '');
  const period = $derived(periodOf(q.period, Date.parse(`${q.at}T12:00:00+08:00`)));

  $effect(() => {
    const [key, kind, label, online, query] = [scope, q.period, period.label, app.sync.link === 'online', weeklyQuery()];
    let live = true;
    view.loading = true;
    view.error = null;
    void (async () => {
      let shown: WeeklyReportAnswer | null = null;
      let error: string | null = null;
      if (online) {
        try {
          const res = await authFetch(`/api/reports/weekly?${query}`);
          const body = (await res.json()) as WeeklyReportAnswer & { message?: string };
          if (!res.ok) throw new Error(body.message ?? String(res.status));
          shown = body;
          await keepReport(db, body);
        } catch (err) {
          error = err instanceof Error ? err.message : t('reports.failed');
        }
      }
      const kept = shown ? null : await keptReport(db, key, kind, label, WEEKLY_REPORT_VERSION);
      if (!shown && !kept && !online) error = t('weekly.offlineMissing');
      const past = await listPast(key, online);
      if (!live) return;
      Object.assign(view, { answer: shown ?? kept, fromDevice: kept !== null, error: shown || kept ? null : error, loading: false, past });
    })();
    return () => {
      live = false;
    };
  });
  return view;
}

async function listPast(key: string, online: boolean): Promise<WeeklyReportView['past']> {
  const kept = (await keptReports(db, key)).map((a) => ({ kind: a.report.kind, label: a.report.period.label, from: a.report.period.from, to: a.report.period.to, issuedAt: a.issuedAt! }));
  const keptIds = new Set(kept.map((s) => `${s.kind}:${s.label}`));
  let issued: ReportSummary[] = kept;
  if (online) {
    const res = await authFetch(`/api/reports/weekly/list?${new URLSearchParams(areaParams())}`).catch(() => null);
    if (res?.ok) issued = ((await res.json()) as { reports: ReportSummary[] }).reports;
  }
  return issued.map((s) => ({ ...s, kept: keptIds.has(`${s.kind}:${s.label}`) }));
}

/** Opens a past report: its kind and its period's first day. */
export function openReport(s: Pick<ReportSummary, 'kind' | 'label'>): void {
  q.period = s.kind;
  q.at = s.kind === 'month' ? `${s.label}-01` : s.label;
}

/** Saves the picked report's workbook (online only). */
export async function downloadWorkbook(lang: string): Promise<void> {
  const res = await authFetch(`/api/reports/weekly?${weeklyQuery()}&format=xlsx&lang=${lang}`);
  if (!res.ok) throw new Error(String(res.status));
  const name = /filename\*=UTF-8''([^;]+)/.exec(res.headers.get('content-disposition') ?? '')?.[1];
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name ? decodeURIComponent(name) : 'minsheng-report.xlsx';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
