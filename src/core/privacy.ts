import type { Contact } from './appeal';
import { regionInScope, type Role, type SessionUser } from './roles';

// Who may see a citizen's name and phone. Those who take the appeal in, handle it or call
// the citizen back (village, town, the county and city hotline desks, the department it is assigned to);
// never leaders or administrators, and nobody at all for an anonymous appeal.

// A mediator sits the parties down: they need to reach them (in their own area only).
const CONTACT_ROLES: readonly Role[] = ['grid_worker', 'bench_facilitator', 'village_station', 'town_official', 'county_dispatcher', 'city_dispatcher', 'mediator'];

export interface ContactContext {
  villageCode: string;
  dept: string | null;
  anonymous: boolean;
}

export function mayViewContact(user: SessionUser, appeal: ContactContext): boolean {
  if (appeal.anonymous || !regionInScope(user.scope, appeal.villageCode)) return false;
  if (user.role === 'dept_handler') return appeal.dept !== null && user.scope.departments.includes(appeal.dept);
  return CONTACT_ROLES.includes(user.role);
}

/** 张三 → 张*; 欧阳小明 → 欧***: enough to recognise, not to identify. */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  return chars.length === 0 ? '' : chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}

/** 13812345678 → 138****5678; landlines keep only their last two digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length === 11 && digits.startsWith('1')) return `${digits.slice(0, 3)}****${digits.slice(7)}`;
  return digits.length > 2 ? '*'.repeat(digits.length - 2) + digits.slice(-2) : '**';
}

/** The masked form for exports and any public view. */
export function maskContact(c: Contact): Contact {
  return { ...(c.name && { name: maskName(c.name) }), ...(c.phone && { phone: maskPhone(c.phone) }) };
}

/** Whether a contact export shows this user any contact in full (otherwise every one comes masked). */
export function mayExportContacts(user: Pick<SessionUser, 'role'>): boolean {
  return user.role === 'dept_handler' || CONTACT_ROLES.includes(user.role);
}

// Digits as people type them: ASCII or full-width (０-９), the way a Chinese IME often enters them.
const DIGIT = /[0-9\uFF10-\uFF19]/.source;
// What may stand between the digits of one number: a space (also full-width or no-break),
// a hyphen or dash of any width, a dot, a bracket. "138-1234-5678", "138 - 1234 - 5678",
// "(0539)8888888", "１３８－１２３４…". A line break ends a number.
const NUMBER_SEP = /[ \t\u00A0\u3000\u200B\u2010-\u2015\uFF0D.\uFF0E()（）-]/.source;
/** One number: digits, each gap up to three separators, an ID card's final X (also full-width). */
const NUMBER = new RegExp(`${DIGIT}(?:${NUMBER_SEP}{0,3}${DIGIT})*(?:${NUMBER_SEP}{0,3}[XxＸｘ](?![A-Za-z]))?`, 'g');
/** What may be slipped between the characters of a name: "张 三 丰". */
const NAME_GAP = /[\s\u200B-\u200D\uFEFF]*/.source;
/** A calendar date, which is no phone: 2024-05-01, 2024.5.1. */
const DATE = /^(?:19|20)\d{2}([-.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])$/;
/** Numbers with fewer digits stay (counts, years, house numbers); 7 and more look like a phone or an ID. */
const MIN_MASKED_DIGITS = 7;

/** Full-width digits, letters and punctuation as their ASCII twins. */
function halfWidth(s: string): string {
  return s.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}

function scrubNumber(found: string): string {
  const ascii = halfWidth(found);
  const digits = ascii.replace(/[^0-9]/g, '');
  if (digits.length < MIN_MASKED_DIGITS || DATE.test(ascii)) return found;
  if (/^1[3-9]\d{9}$/.test(digits)) return maskPhone(digits);
  // Anything else (landline, ID card, account number): every digit and the X go, the separators stay.
  return [...found].map((c) => (/[0-9XxＸｘ\uFF10-\uFF19]/.test(c) ? '*' : c)).join('');
}

/**
 * Text for a public page: the publisher approved it, but a slip must not expose anyone.
 * Every number of 7+ digits (phones, landlines, ID cards), however written (full-width
 * digits, spaces or dashes inside), is masked; a mobile keeps its ends as maskPhone does,
 * a date stays. The citizen's name is masked wherever it appears, even with spaces between
 * its characters.
 */
export function scrubPublicText(text: string, contact: Contact | null): string {
  let out = text.replace(NUMBER, scrubNumber);
  const chars = [...(contact?.name ?? '')].filter((c) => !/\s/.test(c));
  if (chars.length >= 2) {
    const escaped = chars.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    out = out.replace(new RegExp(escaped.join(NAME_GAP), 'giu'), maskName(chars.join('')));
  }
  return out;
}
