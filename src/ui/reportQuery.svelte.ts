import { cityOf, countyOf, levelOf, shortVillageName, townOf } from '../core/regions';
import { reportLevel, unitKindsAt, type ReportLevel, type UnitKind } from '../core/units';
import { lastCompletePeriodDay, type ReportPeriodKind } from '../core/report-period';
import { t } from '../i18n/index.svelte';
import { regionsAt } from '../store/queries';
import { deptLabel } from './desks';
import { app, authFetch, db } from './session.svelte';

// What the report pages share: the chosen unit, period, day (by default in the last complete period) and (for a city's staff) the
// county looked into, kept while moving between tabs; and fetching a report from the
// server, which alone holds the whole scope.

const scopeRegions = () => app.session?.user.scope.regions ?? [];
/** The level of the user's own scope: a city's staff read city reports, the rest a county's. */
export const scopeLevel = (): ReportLevel => reportLevel(scopeRegions());
const firstKind = (level: ReportLevel): UnitKind => (app.session?.user.role === 'dept_handler' ? 'dept' : unitKindsAt(level)[0]!);

class ReportQuery {
  by = $state<UnitKind>(firstKind(scopeLevel()));
  period = $state<ReportPeriodKind>('week');
  /** A county (6 digits) a city's staff look into; '' for the whole scope. */
  county = $state('');
  /** The day the user picked; until then (or once cleared) the last complete week's or month's (core/report-period.ts). */
  #picked = $state<string | null>(null);
  get at(): string {
    return this.#picked ?? lastCompletePeriodDay(this.period, Date.now());
  }
  set at(day: string) {
    this.#picked = day || null;
  }
  /** The day weekly views (trends) end on, whatever the period chosen: the one picked, else the last complete week's. */
  get weekAt(): string {
    return this.#picked ?? lastCompletePeriodDay('week', Date.now());
  }
}

export const reportQuery = new ReportQuery();

/** The level the reports are read at now: a city, or one county (a city's staff looking into it). */
export function viewLevel(): ReportLevel {
  return reportQuery.county ? 'county' : scopeLevel();
}

/** The kind of unit ranked: the one chosen, where the level has it, else the level's usual one. */
export function unitKind(): UnitKind {
  return unitKindsAt(viewLevel()).includes(reportQuery.by) ? reportQuery.by : firstKind(viewLevel());
}

/** Looks into one county ('' for the whole scope), ranking that level's usual units (a county's towns, a city's counties). */
export function lookInto(county: string): void {
  const before = viewLevel();
  reportQuery.county = county;
  if (viewLevel() !== before) reportQuery.by = firstKind(viewLevel());
}

/** The query every report sends: the county looked into, when one is. */
export function areaParams(): Record<string, string> {
  return reportQuery.county ? { county: reportQuery.county } : {};
}

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

// Place names from the device's division list (it holds the user's county, or city).
const places = $state({ names: new Map<string, string>(), short: new Map<string, string>() as ReadonlyMap<string, string> });
regionsAt(db, 'city', 'county', 'town', 'village').subscribe((rows) => {
  places.names = new Map(rows.map((r) => [r.code, r.name]));
  places.short = new Map(rows.map((r) => [r.code, r.level === 'village' ? shortVillageName(r.name) : r.name]));
});

/** Region code → name as desks.ts's owner names take them (villages by their short names). */
export function placeNames(): ReadonlyMap<string, string> {
  return places.short;
}

/** The city's name ("临沂市") for a city's staff, else null. */
function cityName(): string | null {
  const region = scopeRegions().find((p) => p.length <= 4);
  return region ? (places.names.get(cityOf(region.padEnd(12, '0'))) ?? null) : null;
}

/**
 * A unit's name at a level: a county ("兰陵县"), a town (at a city, with its county: "兰陵县
 * 兰陵镇"), or a department ("临沂市水务局" at a city, "水务局" in a county, whose government is "县政府").
 */
export function unitName(unit: string, by: UnitKind, level: ReportLevel = 'county'): string {
  if (by === 'dept') {
    const city = level === 'city' ? cityName() : null;
    if (!city) return deptLabel(unit, level);
    return unit === 'government' ? t('desk.government', { place: city }) : t('desk.dept', { place: city, dept: deptLabel(unit, 'city') });
  }
  const name = places.names.get(unit) ?? unit;
  return by === 'town' && level === 'city' ? `${places.names.get(countyOf(unit)) ?? ''} ${name}`.trim() : name;
}

/** The words for a kind of unit at a level: 乡镇（街道）, 县（市、区）, 部门 or 市直部门. */
export function unitKindLabel(kind: UnitKind, level: ReportLevel): string {
  return t(kind === 'town' ? 'reports.byTown' : kind === 'county' ? 'reports.byCounty' : level === 'city' ? 'reports.byCityDept' : 'reports.byDept');
}

/** "兰陵镇 东关村": the village with its town (at a city, its county first: "兰陵县 兰陵镇 东关村"). */
export function villageLabel(code: string, level: ReportLevel = 'county'): string {
  const village = places.names.get(code);
  if (!village) return code;
  const town = `${places.names.get(townOf(code)) ?? ''} ${shortVillageName(village)}`;
  return level === 'city' ? `${places.names.get(countyOf(code)) ?? ''} ${town}` : town;
}

/** The counties of the user's scope (6 digits and name), for a city's staff to look into one. */
export function scopeCounties(): { code: string; name: string }[] {
  const out: { code: string; name: string }[] = [];
  for (const [code, name] of places.names) {
    if (levelOf(code) === 'county' && scopeRegions().some((p) => code.startsWith(p))) out.push({ code: code.slice(0, 6), name });
  }
  return out.sort((a, b) => (a.code < b.code ? -1 : 1));
}
