import { shortVillageName, townOf } from '../core/regions';
import { t } from '../i18n/index.svelte';
import { regionsAt } from '../store/queries';
import { app, authFetch, db } from './session.svelte';

// What the report pages share: the chosen unit, period and day (kept while moving between
// tabs), and fetching a report from the server, which alone holds the whole scope.

export const reportQuery = $state({
  by: (app.session?.user.role === 'dept_handler' ? 'dept' : 'town') as 'town' | 'dept',
  period: 'week' as 'week' | 'month',
  at: new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10),
});

export interface Report<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

/** Fetches `url()` whenever it changes (and the link is up); call during component setup. */
export function useReport<T>(url: () => string): Report<T> {
  const report = $state<Report<T>>({ data: null, error: null, loading: false });
  $effect(() => {
    const target = url();
    if (app.sync.link !== 'online') {
      report.error = t('reports.offline');
      return;
    }
    let live = true;
    report.loading = true;
    report.error = null;
    void authFetch(target)
      .then(async (res) => {
        const body = (await res.json()) as T & { message?: string };
        if (!live) return;
        if (!res.ok) report.error = body.message ?? String(res.status);
        else report.data = body;
      })
      .catch(() => live && (report.error = t('reports.failed')))
      .finally(() => live && (report.loading = false));
    return () => {
      live = false;
    };
  });
  return report;
}

export function showRate(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

// Town and village names from the device's division list (it holds the whole county).
const places = $state({ names: new Map<string, string>() });
regionsAt(db, 'town', 'village').subscribe((rows) => (places.names = new Map(rows.map((r) => [r.code, r.name]))));

/** A town's name, or a department's. */
export function unitName(unit: string, by: 'town' | 'dept'): string {
  return by === 'dept' ? t(`dept.${unit}`) : (places.names.get(unit) ?? unit);
}

/** "兰陵镇 东关村": the village with its town. */
export function villageLabel(code: string): string {
  const village = places.names.get(code);
  return village ? `${places.names.get(townOf(code)) ?? ''} ${shortVillageName(village)}` : code;
}
