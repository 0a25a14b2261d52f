import { codePrefix } from './regions';
import type { Role, Scope } from './roles';

// Contact cards (干群连心卡, after Wanyuan's): a card in every household with the village's
// grid worker, the town's and the county's contacts, and their work numbers. A number is
// published only when its owner (or an administrator) chose to: nothing by default, and a
// person with no published number is not on the card at all.

/**
 * Parses a Chinese work number: a mobile (11 digits from 13–19, +86 allowed) or a landline
 * with its area code (010, 02x, or 0 and three digits; then 7–8 digits), an extension after
 * "转" or "-" allowed. Spaces and hyphens are read as separators. Returns the number as it is
 * printed (13812345678, 0539-5211234, 0539-5211234-806), or null when it is neither.
 */
export function parseWorkPhone(input: string): string | null {
  const raw = input.trim().replace(/[\s\u3000]+/g, ' ');
  if (raw.length === 0 || raw.length > 32) return null;
  let ext = '';
  let main = raw;
  const e = /^(.*?)(?:\s*(?:转|ext\.?|x)\s*|-)(\d{1,6})$/i.exec(raw);
  // Only a landline takes an extension: split it off when what is left is a landline.
  if (e && landline(digits(e[1]!))) {
    main = e[1]!;
    ext = e[2]!;
  }
  if (!/^[+\d][\d\s-]*$/.test(main)) return null;
  let d = digits(main);
  if (main.startsWith('+')) {
    if (!d.startsWith('86')) return null;
    d = d.slice(2);
  } else if (d.length === 13 && d.startsWith('86')) d = d.slice(2);
  if (!ext && /^1[3-9]\d{9}$/.test(d)) return d;
  const land = landline(d);
  if (!land) return null;
  return `${land.area}-${land.local}${ext ? `-${ext}` : ''}`;
}

const digits = (s: string) => s.replace(/\D/g, '');

function landline(d: string): { area: string; local: string } | null {
  // Beijing and the 02x cities have three-digit area codes, everyone else four.
  const areaLength = /^(010|02\d)/.test(d) ? 3 : 4;
  const area = d.slice(0, areaLength);
  const local = d.slice(areaLength);
  if (!/^0[1-9]/.test(area) || !/^[2-9]\d{6,7}$/.test(local)) return null;
  return { area, local };
}

export type CardTier = 'village' | 'town' | 'county';

/** Who belongs on a village's card, at which tier: those who serve the village, its town, its county. */
const TIER_ROLES: Record<CardTier, readonly Role[]> = {
  village: ['grid_worker', 'village_station', 'bench_facilitator'],
  town: ['town_official', 'mediator'],
  county: ['county_dispatcher', 'leader', 'dept_handler'],
};
/** The width of scope each tier's people hold: a village, a town, a county. */
const TIER_PREFIX: Record<CardTier, number> = { village: 12, town: 9, county: 6 };
export const CARD_TIERS: readonly CardTier[] = ['village', 'town', 'county'];

export interface CardPerson {
  id: string;
  displayName: string;
  role: Role;
  scope: Scope;
  disabled: boolean;
  /** The published work number; null or absent when the person chose not to publish one. */
  workPhone?: string | null;
}

export interface CardContact {
  tier: CardTier;
  id: string;
  name: string;
  role: Role;
  /** A department handler's departments, for the title (水务局). */
  departments: string[];
  phone: string;
}

/** At most this many contacts per tier: a card is the size of a hand (and eight of them fit a 10 KB page). */
export const CARD_PER_TIER = 2;
/** A name on a card is cut to this many characters. */
export const CARD_NAME_MAX = 12;

/**
 * The contacts on `village`'s card: active people with a published number, each at the tier
 * of their role whose scope names the village's own village, town or county prefix, in the
 * order given (the caller passes people in a stable order), at most CARD_PER_TIER each.
 */
export function cardContacts(people: readonly CardPerson[], village: string): CardContact[] {
  const out: CardContact[] = [];
  for (const tier of CARD_TIERS) {
    const prefix = codePrefix(village).slice(0, TIER_PREFIX[tier]);
    const here = people.filter((p) => !p.disabled && p.workPhone && TIER_ROLES[tier].includes(p.role) && p.scope.regions.includes(prefix));
    for (const p of here.slice(0, CARD_PER_TIER)) out.push({ tier, id: p.id, name: [...p.displayName].slice(0, CARD_NAME_MAX).join(''), role: p.role, departments: p.scope.departments, phone: p.workPhone! });
  }
  return out;
}
