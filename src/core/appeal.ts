import { isEvalCode } from './evalcode';
import { validAttachmentRefs, type AttachmentRef } from './attachments';
import { isCategory } from './categories';
import { isUuidV7 } from './id';
import { MAX_ACTOR_ID_CHARS, MAX_CATEGORY_CHARS, MAX_DESCRIPTION_CHARS, MAX_EVENT_NOTE_CHARS, MAX_NAME_CHARS } from './limits';
import { isRegionCode, levelOf } from './regions';
import { deputyFieldErrors, isColumn, type Column, type DeputyFieldError } from './deputy';

export const CHANNELS = [
  'grid_patrol',
  'bench_meeting',
  'walk_in',
  'hotline_12345',
  'linkage_110',
  'petition',
  'online_opinion',
  'self_report',
  /** An SMS to the service number, taken in by the SMPP gateway (server/sms); answered by SMS. */
  'sms',
  /** A deputy's post in their columns (deputy.ts). */
  'deputy',
] as const;
export type Channel = (typeof CHANNELS)[number];

export const KINDS = ['consultation', 'help', 'complaint', 'suggestion', 'special'] as const;
export type Kind = (typeof KINDS)[number];

export const URGENCIES = ['red', 'orange', 'yellow'] as const;
export type Urgency = (typeof URGENCIES)[number];

/** WGS84, as the browser's Geolocation API reports it. */
export interface Gps {
  lat: number;
  lng: number;
  accuracy?: number;
}

export interface Citizen {
  anonymous: boolean;
  name?: string;
  phone?: string;
}

/** What the person recording an appeal fills in. */
export interface AppealInput {
  channel: Channel;
  category: string;
  kind: Kind;
  urgency: Urgency;
  villageCode: string;
  description: string;
  citizen: Citizen;
  gps?: Gps | null;
  /** Photos, voice notes and videos, by hash; the files upload separately. */
  attachments?: AttachmentRef[];
  /** The bench meeting it was raised at (channel `bench_meeting` only). */
  meetingId?: string;
  /** The grid patrol (patrol.ts) it was raised on (channel `grid_patrol` only). */
  patrolId?: string;
  /** The answer given on the spot, when the matter was solved there and then. */
  onSpot?: string;
  /** The suggestion campaign (问计) it answers; only suggestions answer one. */
  campaignId?: string;
  /** An earlier appeal this one repeats (the recorder's link from the duplicate hints); counted with it by special governance. */
  repeatOf?: string;
  /** Deputies' columns (deputy.ts), on the `deputy` channel only: the column, linked appeals, the name shown. */
  column?: Column;
  supports?: string[];
  shownAs?: string;
}

/**
 * A citizen's name and phone. Never inside the appeal's document (which every device in
 * scope holds, and live rooms share): it travels beside it, only to those who may see it.
 */
export interface Contact {
  name?: string;
  phone?: string;
}

/** The single-writer fields kept in the document's `fields` map. */
export interface AppealFields extends Omit<AppealInput, 'description' | 'citizen' | 'onSpot'> {
  citizen: { anonymous: boolean };
  createdBy: string;
  createdAt: number;
  /** The citizen's evaluation code (`evalcode.ts`); absent on appeals recorded before codes existed. */
  evalCode?: string;
}

/**
 * Every key the `fields` map may hold (typed against AppealFields, so the list cannot drift).
 * Anything else, a contact or a megabyte of junk, would reach every device in scope: refused.
 */
const STORED_FIELD_KEYS: Record<keyof AppealFields, true> = {
  channel: true,
  category: true,
  kind: true,
  urgency: true,
  villageCode: true,
  citizen: true,
  gps: true,
  attachments: true,
  meetingId: true,
  patrolId: true,
  campaignId: true,
  repeatOf: true,
  column: true,
  supports: true,
  shownAs: true,
  createdBy: true,
  createdAt: true,
  evalCode: true,
};
export const APPEAL_FIELD_KEYS = Object.keys(STORED_FIELD_KEYS) as readonly (keyof AppealFields)[];

/** The contact an input carries, or null (anonymous, or nothing given). */
export function contactOf(input: AppealInput): Contact | null {
  if (input.citizen.anonymous) return null;
  const { name, phone } = input.citizen;
  return name || phone ? { ...(name && { name }), ...(phone && { phone }) } : null;
}

/** Checks a contact arriving over the network. */
export function validateContact(raw: unknown): Checked<Contact> {
  const r = isRecord(raw) ? raw : {};
  const errors: FieldErrors = {};
  const extra = Object.keys(r).filter((k) => k !== 'name' && k !== 'phone');
  if (extra.length > 0) errors.meta = 'invalid_choice';
  const name = typeof r.name === 'string' ? r.name.trim() : r.name === undefined ? '' : null;
  const phone = typeof r.phone === 'string' ? r.phone.replace(/\s+/g, '') : r.phone === undefined ? '' : null;
  if (name === null || (name && name.length > MAX_NAME_CHARS)) errors.citizenName = name === null ? 'invalid_choice' : 'too_long';
  if (phone === null || (phone && !isPhone(phone))) errors.citizenPhone = 'invalid_phone';
  if (!errors.citizenName && !errors.citizenPhone && !name && !phone) errors.citizenName = 'name_or_phone';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { ...(name && { name }), ...(phone && { phone }) } };
}

export type FieldError =
  | 'required'
  | 'too_long'
  | 'invalid_choice'
  | 'unknown_village'
  | 'invalid_phone'
  | 'invalid_gps'
  | 'name_or_phone'
  | 'personal_data_in_document'
  | 'unknown_field'
  | 'invalid_attachments'
  | 'meeting_needs_bench_channel'
  | 'patrol_needs_patrol_channel'
  | 'campaign_needs_suggestion'
  | DeputyFieldError;

export type FieldErrors = Partial<
  Record<'channel' | 'category' | 'kind' | 'urgency' | 'villageCode' | 'description' | 'citizenName' | 'citizenPhone' | 'gps' | 'attachments' | 'meetingId' | 'patrolId' | 'campaignId' | 'repeatOf' | 'onSpot' | 'column' | 'supports' | 'shownAs' | 'meta', FieldError>
>;

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

const MOBILE = /^1[3-9]\d{9}$/;
const LANDLINE = /^0\d{2,3}-?\d{7,8}$/;

export function isPhone(s: string): boolean {
  const compact = s.replace(/\s+/g, '');
  return MOBILE.test(compact) || LANDLINE.test(compact);
}

function oneOf<T extends string>(list: readonly T[], v: unknown): v is T {
  return typeof v === 'string' && (list as readonly string[]).includes(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const GPS_KEYS = ['lat', 'lng', 'accuracy'];

function checkGps(v: unknown): v is Gps | null | undefined {
  if (v === undefined || v === null) return true;
  if (!isRecord(v)) return false;
  const { lat, lng, accuracy } = v;
  return (
    Object.keys(v).every((k) => GPS_KEYS.includes(k)) &&
    typeof lat === 'number' && Number.isFinite(lat) && Math.abs(lat) <= 90 &&
    typeof lng === 'number' && Number.isFinite(lng) && Math.abs(lng) <= 180 &&
    (accuracy === undefined || (typeof accuracy === 'number' && Number.isFinite(accuracy) && accuracy >= 0))
  );
}

/**
 * Checks what a user submits. `knownVillage` answers whether a code is a village the
 * user may record in, so the form and the server share one rule.
 */
export function validateAppealInput(raw: unknown, knownVillage: (code: string) => boolean): Checked<AppealInput> {
  const errors: FieldErrors = {};
  const r = isRecord(raw) ? raw : {};
  if (!oneOf(CHANNELS, r.channel)) errors.channel = r.channel ? 'invalid_choice' : 'required';
  if (!isCategory(r.category) || r.category.length > MAX_CATEGORY_CHARS) errors.category = r.category ? 'invalid_choice' : 'required';
  if (!oneOf(KINDS, r.kind)) errors.kind = r.kind ? 'invalid_choice' : 'required';
  if (!oneOf(URGENCIES, r.urgency)) errors.urgency = r.urgency ? 'invalid_choice' : 'required';

  const village = r.villageCode;
  if (!village) errors.villageCode = 'required';
  else if (!isRegionCode(village) || levelOf(village) !== 'village' || !knownVillage(village)) errors.villageCode = 'unknown_village';

  const description = typeof r.description === 'string' ? r.description.trim() : '';
  if (!description) errors.description = 'required';
  else if (description.length > MAX_DESCRIPTION_CHARS) errors.description = 'too_long';

  const c = isRecord(r.citizen) ? r.citizen : {};
  const anonymous = c.anonymous === true;
  const name = typeof c.name === 'string' ? c.name.trim() : '';
  const phone = typeof c.phone === 'string' ? c.phone.replace(/\s+/g, '') : '';
  if (!anonymous) {
    if (!name && !phone) errors.citizenName = 'name_or_phone';
    if (name.length > MAX_NAME_CHARS) errors.citizenName = 'too_long';
    if (phone && !isPhone(phone)) errors.citizenPhone = 'invalid_phone';
  }
  if (!checkGps(r.gps)) errors.gps = 'invalid_gps';
  if (r.attachments !== undefined && !validAttachmentRefs(r.attachments)) errors.attachments = 'invalid_attachments';
  if (r.meetingId !== undefined && !isUuidV7(r.meetingId)) errors.meetingId = 'invalid_choice';
  else if (r.meetingId !== undefined && r.channel !== 'bench_meeting') errors.meetingId = 'meeting_needs_bench_channel';
  if (r.patrolId !== undefined && !isUuidV7(r.patrolId)) errors.patrolId = 'invalid_choice';
  else if (r.patrolId !== undefined && r.channel !== 'grid_patrol') errors.patrolId = 'patrol_needs_patrol_channel';
  if (r.campaignId !== undefined && !isUuidV7(r.campaignId)) errors.campaignId = 'invalid_choice';
  else if (r.campaignId !== undefined && r.kind !== 'suggestion') errors.campaignId = 'campaign_needs_suggestion';
  if (r.repeatOf !== undefined && !isUuidV7(r.repeatOf)) errors.repeatOf = 'invalid_choice';
  const onSpot = typeof r.onSpot === 'string' ? r.onSpot.trim() : undefined;
  if (r.onSpot !== undefined && typeof r.onSpot !== 'string') errors.onSpot = 'invalid_choice';
  else if (onSpot !== undefined && onSpot.length > MAX_EVENT_NOTE_CHARS) errors.onSpot = 'too_long';
  Object.assign(errors, deputyFieldErrors(r));

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const citizen: Citizen = anonymous ? { anonymous: true } : { anonymous: false, ...(name && { name }), ...(phone && { phone }) };
  return {
    ok: true,
    value: {
      channel: r.channel as Channel,
      category: r.category as string,
      kind: r.kind as Kind,
      urgency: r.urgency as Urgency,
      villageCode: village as string,
      description,
      citizen,
      gps: (r.gps as Gps | null | undefined) ?? null,
      ...(Array.isArray(r.attachments) && r.attachments.length > 0 && { attachments: r.attachments as AttachmentRef[] }),
      ...(typeof r.meetingId === 'string' && { meetingId: r.meetingId }),
      ...(typeof r.patrolId === 'string' && { patrolId: r.patrolId }),
      ...(typeof r.campaignId === 'string' && { campaignId: r.campaignId }),
      ...(typeof r.repeatOf === 'string' && { repeatOf: r.repeatOf }),
      ...(onSpot && { onSpot }),
      ...(isColumn(r.column) && { column: r.column }),
      ...(Array.isArray(r.supports) && { supports: r.supports as string[] }),
      ...(typeof r.shownAs === 'string' && { shownAs: r.shownAs }),
    },
  };
}

/** Checks fields read back from a document (e.g. one pushed by a client). */
export function validateStoredFields(raw: unknown, description: string, knownVillage: (code: string) => boolean): Checked<AppealFields> {
  const r = isRecord(raw) ? raw : {};
  const citizen = isRecord(r.citizen) ? r.citizen : null;
  // The document holds only whether the citizen is anonymous; a name or phone here is refused.
  const citizenOk = citizen !== null && typeof citizen.anonymous === 'boolean' && Object.keys(citizen).length === 1;
  const input = validateAppealInput({ ...r, description, citizen: { anonymous: true } }, knownVillage);
  const errors: FieldErrors = input.ok ? {} : { ...input.errors };
  if (!citizenOk) errors.citizenName = citizen && ('name' in citizen || 'phone' in citizen) ? 'personal_data_in_document' : 'required';
  // A deputy's post names no citizen: it is the deputy who speaks.
  else if (r.channel === 'deputy' && citizen!.anonymous !== true) errors.citizenName = 'personal_data_in_document';
  if (typeof r.createdBy !== 'string' || !r.createdBy) errors.meta = 'required';
  else if (r.createdBy.length > MAX_ACTOR_ID_CHARS) errors.meta = 'too_long';
  if (typeof r.createdAt !== 'number' || !Number.isFinite(r.createdAt)) errors.meta = 'required';
  if (r.evalCode !== undefined && !isEvalCode(r.evalCode)) errors.meta = 'invalid_choice';
  if (Object.keys(r).some((k) => !Object.hasOwn(STORED_FIELD_KEYS, k))) errors.meta = 'unknown_field';
  if (!input.ok || Object.keys(errors).length > 0) return { ok: false, errors };
  const { description: _d, onSpot: _o, ...fields } = input.value;
  const code = isEvalCode(r.evalCode) ? { evalCode: r.evalCode } : {};
  return { ok: true, value: { ...fields, citizen: { anonymous: citizen!.anonymous === true }, createdBy: r.createdBy as string, createdAt: r.createdAt as number, ...code } };
}
