import type { Kind } from './appeal';
import { isUuidV7 } from './id';
import type { Role } from './roles';
import type { Tier } from './events';

// Deputies' columns (人大监督 / 政协参政). A deputy of the people's congress (人大代表) or a
// member of the CPPCC (政协委员) posts in one of three columns; each post is an appeal on the
// `deputy` channel, so it is dispatched, assigned to a department, kept to a deadline,
// answered and scanned for lateness like any appeal, and recorded offline on the phone. What
// is special lives here: the column, the appeals it links as support, the name shown.

/** 代言 (speaking for constituents), 建言 (a proposal), 诤言 (criticism, supervision). */
export const COLUMNS = ['voice', 'proposal', 'criticism'] as const;
export type Column = (typeof COLUMNS)[number];

/**
 * The kind each column's post is handled as, so the county's deadline policy applies
 * unchanged: speaking for constituents asks for help, a proposal is a suggestion, criticism a complaint.
 */
export const COLUMN_KIND: Record<Column, Kind> = { voice: 'help', proposal: 'suggestion', criticism: 'complaint' };

/** The two bodies a deputy may sit in: 人大 (npc) and 政协 (cppcc). Kept per user by the server. */
export const DEPUTY_BODIES = ['npc', 'cppcc'] as const;
export type DeputyBody = (typeof DEPUTY_BODIES)[number];

/** Linked appeals per post: enough to show support, too few to list a village's every case. */
export const MAX_SUPPORTS = 10;
/** The name a deputy chooses to show ("王代表"); never more than a short name. */
export const MAX_SHOWN_AS_CHARS = 20;

export function isColumn(v: unknown): v is Column {
  return typeof v === 'string' && (COLUMNS as readonly string[]).includes(v);
}

export function isDeputyBody(v: unknown): v is DeputyBody {
  return typeof v === 'string' && (DEPUTY_BODIES as readonly string[]).includes(v);
}

export type DeputyFieldError = 'required' | 'invalid_choice' | 'too_long' | 'kind_follows_column' | 'needs_deputy_channel' | 'invalid_links' | 'too_many_links' | 'personal_data_in_document';

export interface DeputyFieldErrors {
  column?: DeputyFieldError;
  kind?: DeputyFieldError;
  supports?: DeputyFieldError;
  shownAs?: DeputyFieldError;
  citizenName?: DeputyFieldError;
}

/**
 * The deputy fields of an appeal's input or stored fields. On the `deputy` channel a column is
 * required, the kind follows it, and no citizen is named (the deputy speaks, not a citizen);
 * on any other channel none of the deputy fields may appear.
 */
export function deputyFieldErrors(r: Record<string, unknown>): DeputyFieldErrors {
  const errors: DeputyFieldErrors = {};
  const own = r.channel === 'deputy';
  if (!own) {
    if (r.column !== undefined) errors.column = 'needs_deputy_channel';
    if (r.supports !== undefined) errors.supports = 'needs_deputy_channel';
    if (r.shownAs !== undefined) errors.shownAs = 'needs_deputy_channel';
    return errors;
  }
  if (r.column === undefined) errors.column = 'required';
  else if (!isColumn(r.column)) errors.column = 'invalid_choice';
  else if (r.kind !== COLUMN_KIND[r.column]) errors.kind = 'kind_follows_column';
  if (r.supports !== undefined) {
    const s = r.supports;
    if (!Array.isArray(s) || !s.every(isUuidV7) || new Set(s).size !== s.length || s.length === 0) errors.supports = 'invalid_links';
    else if (s.length > MAX_SUPPORTS) errors.supports = 'too_many_links';
  }
  if (r.shownAs !== undefined) {
    if (typeof r.shownAs !== 'string' || !r.shownAs.trim() || r.shownAs !== r.shownAs.trim()) errors.shownAs = 'invalid_choice';
    else if (r.shownAs.length > MAX_SHOWN_AS_CHARS) errors.shownAs = 'too_long';
    // A phone number is no name: the shown name goes on a public page.
    else if (/\d{5,}/.test(r.shownAs.replace(/[\s-]/g, ''))) errors.shownAs = 'personal_data_in_document';
  }
  const citizen = r.citizen as { anonymous?: unknown } | undefined;
  if (citizen && citizen.anonymous !== true) errors.citizenName = 'personal_data_in_document';
  return errors;
}

/** Pulls the appeal ids out of what a deputy pasted: ids, or board links that hold them. */
export function supportIdsIn(text: string): string[] {
  const found = text.toLowerCase().match(/[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g) ?? [];
  return [...new Set(found)].filter(isUuidV7);
}

/**
 * Why `role` may not record an appeal on `channel`, or null. Deputies post only in their
 * columns, and only deputies post there: a column speaks with a deputy's public title.
 */
export function deputyChannelDenial(role: Role, channel: unknown): 'role_not_allowed' | null {
  return (role === 'deputy') !== (channel === 'deputy') ? 'role_not_allowed' : null;
}

/** The i18n key of a deputy's public title: 县人大代表, 市政协委员, or the plain 人大代表/政协委员 when unknown. */
export function deputyTitleKey(body: DeputyBody | null, tier: Tier): string {
  if (!body) return 'deputy.title.any';
  // The CPPCC has no town or village committees: a member below the county is the county's.
  const level = tier === 'city' ? 'city' : tier === 'county' || body === 'cppcc' ? 'county' : 'town';
  return `deputy.title.${body}.${level}`;
}
