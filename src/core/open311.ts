import { isPhone, type Citizen, type Gps } from './appeal';
import { MAX_NAME_CHARS } from './limits';

// How an Open311 (GeoReport v2) request's fields become an appeal's, the same for JSON, form
// and multipart bodies. Outside clients fill fields their own way: FixMyStreet sends empty
// strings for what it lacks, GeoReporter sends JSON nulls, names and phones come from any
// country. What is usable is kept; only what would mislead (a half coordinate pair) is refused.

/** Longest phone kept as given: an international number with spaces and an extension fits. */
export const MAX_FOREIGN_PHONE_CHARS = 32;

/** A field's value, or null when the client left it out, empty or null ("" and null mean absent, never 0 or "null"). */
export function fieldValue(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return null;
  const s = String(v).trim();
  return s === '' ? null : s;
}

/** A comma list parameter (`service_code=a,b`, `status=open,closed`): its items, or null when absent. */
export function commaList(v: string | null): string[] | null {
  if (v === null) return null;
  const items = [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))];
  return items.length > 0 ? items : null;
}

export type Coordinates = { ok: true; gps: Gps | null } | { ok: false; error: string };

/** `lat` and `long` as given: both absent is no location; one alone, or either not a coordinate, is refused. */
export function coordinates(lat: string | null, long: string | null): Coordinates {
  if (lat === null && long === null) return { ok: true, gps: null };
  if (lat === null || long === null) return { ok: false, error: 'lat and long must be sent together' };
  const la = Number(lat);
  const lo = Number(long);
  if (!Number.isFinite(la) || !Number.isFinite(lo) || Math.abs(la) > 90 || Math.abs(lo) > 180) return { ok: false, error: 'lat and long must be WGS84 decimal degrees' };
  return { ok: true, gps: { lat: la, lng: lo } };
}

const HAN = /\p{Script=Han}/u;

/**
 * The citizen a request names. A Chinese name is family name first with no space (张 + 秀英);
 * any other is "first last". A name longer than the limit is cut, not refused; a phone
 * in another country's format is kept as given (spaces collapsed) when it looks like one.
 */
export function citizenFrom(first: string | null, last: string | null, phone: string | null): Citizen {
  const han = [first, last].every((p) => p === null || HAN.test(p));
  const joined = (han ? [last, first] : [first, last]).filter((p): p is string => p !== null).join(han ? '' : ' ');
  const name = [...joined.replace(/\s+/g, ' ').trim()].slice(0, MAX_NAME_CHARS).join('').trim();
  const tel = phoneOf(phone);
  if (!name && !tel) return { anonymous: true };
  return { anonymous: false, ...(name && { name }), ...(tel && { phone: tel }) };
}

/** A phone worth keeping: ours as the app checks it (spaces removed), another country's as given; else nothing. */
export function phoneOf(phone: string | null): string | null {
  if (phone === null) return null;
  const compact = phone.replace(/\s+/g, '');
  if (isPhone(compact)) return compact;
  const given = phone.replace(/\s+/g, ' ').trim();
  return given.length <= MAX_FOREIGN_PHONE_CHARS && /^(\+|\()?[0-9][0-9 ().-]{4,}[0-9]$/.test(given) && /\d{6}/.test(given.replace(/\D/g, '')) ? given : null;
}

/**
 * The appeal's text: the description as sent, then what the officials need to place and read
 * it that has no field of its own (an address given only in words, a photo's link at the partner).
 */
export function descriptionFrom(description: string | null, lines: { label: string; value: string | null }[]): string {
  const extra = lines.filter((l) => l.value !== null).map((l) => `${l.label}${l.value}`);
  return [description ?? '', ...extra].filter(Boolean).join('\n\n');
}

/** The spec's two statuses; a list filter keeps appeals whose status is one of those given. */
export type Open311Status = 'open' | 'closed';
export const isOpen311Status = (s: string): s is Open311Status => s === 'open' || s === 'closed';
