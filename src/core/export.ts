import { cstDateTime } from './calendar';
import type { Contact } from './appeal';
import { maskContact } from './privacy';
import { countyOf } from './regions';
import type { AppealProjection } from './projection';

// Appeals out of the system for the people who work with spreadsheets and GIS: one table
// shape for CSV and XLSX, and GeoJSON for those recorded with a location. Citizens' names and
// phones travel only when asked for (`CONTACT_COLUMNS`), and then in full only where the
// user may see them (`mayViewContact`); everyone else gets them masked.

export interface ExportColumn {
  key: string;
  /** The value of one appeal in this column, already in words (`label` turns codes into them). */
  value: (a: AppealProjection, label: (key: string) => string, place: (code: string) => string) => string | number | null;
}

const time = (ms: number | null) => (ms === null ? null : cstDateTime(ms));

export const EXPORT_COLUMNS: readonly ExportColumn[] = [
  { key: 'id', value: (a) => a.id },
  { key: 'createdAt', value: (a) => time(a.createdAt) },
  // The county first: a city's export spans its counties (a county's names the one).
  { key: 'county', value: (a, _l, place) => place(countyOf(a.village)) },
  { key: 'town', value: (a, _l, place) => place(a.town) },
  { key: 'village', value: (a, _l, place) => place(a.village) },
  { key: 'category', value: (a, label) => label(`category.${a.category}`) },
  { key: 'kind', value: (a, label) => label(`kind.${a.kind}`) },
  { key: 'urgency', value: (a, label) => label(`urgency.${a.urgency}`) },
  { key: 'channel', value: (a, label) => label(`channel.${a.channel}`) },
  { key: 'status', value: (a, label) => label(`status.${a.status}`) },
  // The tier holding it tells a city bureau's from a county bureau's.
  { key: 'tier', value: (a, label) => label(`tier.${a.tier}`) },
  { key: 'dept', value: (a, label) => (a.dept ? label(`dept.${a.dept}`) : null) },
  { key: 'title', value: (a) => a.title },
  { key: 'dueAt', value: (a) => time(a.dueAt) },
  { key: 'repliedAt', value: (a) => time(a.repliedAt) },
  { key: 'closedAt', value: (a) => time(a.closedAt) },
  { key: 'onTime', value: (a, label) => (a.onTime === null ? null : label(a.onTime ? 'export.yes' : 'export.no')) },
  { key: 'satisfaction', value: (a, label) => (a.satisfaction ? label(`satisfaction.${a.satisfaction}`) : null) },
  // The bounce-back ledger.
  { key: 'returns', value: (a) => a.returns },
  { key: 'reassigns', value: (a) => a.reassigns },
  { key: 'dispatchMinutes', value: (a) => a.dispatchMinutes },
  { key: 'lat', value: (a) => a.lat },
  { key: 'lng', value: (a) => a.lng },
];

export const CONTACT_COLUMNS = ['citizenName', 'citizenPhone'] as const;

/** The contact columns of one appeal: in full or masked; empty when the appeal has none. */
export function contactCells(c: Contact | undefined, full: boolean): [string | null, string | null] {
  if (!c) return [null, null];
  const shown = full ? c : maskContact(c);
  return [shown.name ?? null, shown.phone ?? null];
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  // Quote what would break a row, and neutralise a leading formula character (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) || safe !== s ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The CSV header and rows, CRLF-separated; the caller puts the UTF-8 BOM before it (so Excel reads Chinese). */
export function csvLines(rows: readonly (string | number | null)[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** A GeoJSON FeatureCollection of the appeals that have a location (WGS84, [lng, lat]). */
export function geoJson(appeals: readonly AppealProjection[], properties: (a: AppealProjection) => Record<string, string | number | null>): object {
  return {
    type: 'FeatureCollection',
    features: appeals
      .filter((a) => a.lat !== null && a.lng !== null)
      .map((a) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [a.lng, a.lat] }, properties: properties(a) })),
  };
}
