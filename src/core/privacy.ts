import type { Contact } from './appeal';
import { regionInScope, type Role, type SessionUser } from './roles';

// Who may see a citizen's name and phone. Those who take the appeal in, handle it or call
// the citizen back (village, town, the hotline desk, the department it is assigned to);
// never leaders or administrators, and nobody at all for an anonymous appeal.

const CONTACT_ROLES: readonly Role[] = ['grid_worker', 'bench_facilitator', 'village_station', 'town_official', 'city_dispatcher'];

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

/**
 * Text for a public page: the publisher approved it, but a slip must not expose anyone.
 * ID-card numbers and any run of 7+ digits (phones, landlines) are masked, and so is the
 * citizen's name wherever it appears.
 */
export function scrubPublicText(text: string, contact: Contact | null): string {
  let out = text.replace(/\d{17}[\dXx]|\d{7,}/g, (digits) => (/^1[3-9]\d{9}$/.test(digits) ? maskPhone(digits) : '*'.repeat(digits.length)));
  const name = contact?.name?.trim();
  if (name && [...name].length >= 2) out = out.split(name).join(maskName(name));
  return out;
}
