import type * as Y from 'yjs';
import { eventsOf, fieldsOf, type Actor, type AppealSnapshot } from './doc-roots';
import { isUuidV7 } from './id';
import { MAX_ACTOR_ID_CHARS, MAX_NAME_CHARS } from './limits';
import { isRegionCode, levelOf, townOf } from './regions';
import { isRole, regionInScope, type Role, type SessionUser } from './roles';

// Village points (积分, Wanyuan's "门前五包" rated at the 乡风板凳评议会): households earn or
// lose points by a village's rule list, and exchange them for farm supplies.
//
// Two kinds of document, both of form 'points', synced like meetings and patrols:
//   sheet  one facilitator's entries for one village (award / exchange events), written only
//          by its creator, so devices working offline never write into the same list;
//   rules  a village's rule list: 'rules_set' events by the town or the village station; the
//          latest (by time, then id) across every rules document of the village wins.
// Households are known by number only ("3组-12"): no name is ever stored, so none can reach
// a public page or another device. The balance of a household is `foldLedger` over the
// entries of every sheet of the village; it sorts them first, so any order of arrival and
// any merge of offline sheets gives the same balances.

export const POINTS_FORM = 'points';
export type PointsKind = 'sheet' | 'rules';

/** Who records points and exchanges at a bench meeting: the facilitator and the village's station. */
export const POINTS_RECORDERS: readonly Role[] = ['bench_facilitator', 'village_station'];
/** Who sets a village's rule list: the town, and the village's own station. */
export const POINTS_RULE_EDITORS: readonly Role[] = ['town_official', 'village_station'];

export const MAX_RULES = 30;
export const MAX_RULE_LABEL_CHARS = 20;
export const MAX_RULE_POINTS = 100;
export const MAX_EXCHANGE_POINTS = 10_000;
export const MAX_GOODS_CHARS = 40;
export const MAX_POINTS_NOTE_CHARS = 200;
/** Entries one sheet holds; a facilitator starts a new sheet each day anyway. */
export const MAX_SHEET_ENTRIES = 500;
/** Rule changes one rules document holds. */
export const MAX_RULE_SETS = 200;

export interface PointsRule {
  /** Stable key ([a-z0-9_], ≤ 24): entries and reports group by it. */
  id: string;
  label: string;
  /** Points per award: positive earns, negative deducts; never 0. */
  points: number;
}

/** "门前五包" and the usual household virtues: what a village has before the town sets its own. */
export const DEFAULT_RULES: readonly PointsRule[] = [
  { id: 'front_clean', label: '门前卫生', points: 5 },
  { id: 'front_green', label: '门前绿化', points: 5 },
  { id: 'front_order', label: '门前秩序', points: 5 },
  { id: 'filial', label: '孝老爱亲', points: 10 },
  { id: 'neighbour', label: '邻里互助', points: 5 },
  { id: 'public_good', label: '参加公益', points: 5 },
  { id: 'clutter', label: '乱堆乱放', points: -5 },
  { id: 'burning', label: '焚烧秸秆', points: -10 },
];

export interface PointsFields {
  form: typeof POINTS_FORM;
  kind: PointsKind;
  villageCode: string;
  createdBy: string;
  createdAt: number;
  /** The bench meeting the sheet was kept at (sheets only). */
  meetingId?: string;
}

interface PointsEventBase {
  id: string;
  actor: string;
  role: Role;
  at: number;
  by?: string;
}

export interface AwardInput {
  household: string;
  rule: string;
  label: string;
  points: number;
  note?: string;
}
export interface ExchangeInput {
  household: string;
  goods: string;
  points: number;
  note?: string;
}

export type PointsEvent =
  | (PointsEventBase & { type: 'opened' })
  | (PointsEventBase & AwardInput & { type: 'award' })
  | (PointsEventBase & ExchangeInput & { type: 'exchange' })
  | (PointsEventBase & { type: 'rules_set'; rules: PointsRule[] });

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isTime = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
const isInt = (x: unknown, min: number, max: number): x is number => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
const text = (x: unknown, max: number) => typeof x === 'string' && x.trim().length > 0 && x.length <= max && x === x.trim();
const optionalNote = (x: unknown) => x === undefined || text(x, MAX_POINTS_NOTE_CHARS);
const onlyKeys = (v: Record<string, unknown>, keys: readonly string[]) => Object.keys(v).every((k) => keys.includes(k));

const BASE_KEYS = ['id', 'type', 'actor', 'role', 'at', 'by'] as const;
const RULE_ID = /^[a-z0-9_]{1,24}$/;
/** "12", or "3组-12": a group (组) and a house number; nothing that could carry a name. */
const HOUSEHOLD = /^(?:\d{1,3}组-)?\d{1,4}$/;

/**
 * A household number as typed, in the one form stored: full-width digits and dashes made
 * plain, "3-12" or "3组12" read as "3组-12", leading zeros dropped. Null when it is not one.
 */
export function normalizeHousehold(raw: string): string | null {
  const s = raw
    .trim()
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[－—–‐]/g, '-')
    .replace(/[\s号户]+$/u, '')
    .replace(/\s+/g, '');
  const m = /^(\d{1,3})(?:组-?|-)(\d{1,4})$/.exec(s) ?? /^()(\d{1,4})$/.exec(s);
  if (!m) return null;
  const house = String(Number(m[2]));
  return m[1] ? `${Number(m[1])}组-${house}` : house;
}

export function isHousehold(v: unknown): v is string {
  return typeof v === 'string' && HOUSEHOLD.test(v) && normalizeHousehold(v) === v;
}

/** Orders household numbers as people read them: by group, then by number. */
export function compareHouseholds(a: string, b: string): number {
  const parts = (h: string) => {
    const m = /^(?:(\d+)组-)?(\d+)$/.exec(h);
    return m ? [Number(m[1] ?? 0), Number(m[2])] : [0, 0];
  };
  const [ga, na] = parts(a);
  const [gb, nb] = parts(b);
  return ga! - gb! || na! - nb! || a.localeCompare(b);
}

export function isPointsRule(v: unknown): v is PointsRule {
  return (
    isRecord(v) &&
    onlyKeys(v, ['id', 'label', 'points']) &&
    typeof v.id === 'string' &&
    RULE_ID.test(v.id) &&
    text(v.label, MAX_RULE_LABEL_CHARS) &&
    isInt(v.points, -MAX_RULE_POINTS, MAX_RULE_POINTS) &&
    v.points !== 0
  );
}

export type RulesError = 'not_a_list' | 'empty' | 'too_many' | 'label' | 'points' | 'duplicate';
export type RulesCheck = { ok: true; value: PointsRule[] } | { ok: false; errors: { index: number | null; error: RulesError }[] };

/** A stable key for a new rule's label: ASCII labels keep their letters, others get a short hash. */
export function ruleIdFor(label: string, taken: ReadonlySet<string>): string {
  const ascii = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 16);
  let h = 0;
  for (const ch of label) h = (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0;
  const base = ascii || `r${h.toString(36).slice(0, 8)}`;
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
  return id;
}

/**
 * Checks a rule list as an official edits it: labels trimmed, points whole numbers in
 * ±MAX_RULE_POINTS and not 0, labels unique, ids made for rules that have none.
 */
export function validateRules(raw: unknown): RulesCheck {
  if (!Array.isArray(raw)) return { ok: false, errors: [{ index: null, error: 'not_a_list' }] };
  const errors: { index: number | null; error: RulesError }[] = [];
  if (raw.length === 0) errors.push({ index: null, error: 'empty' });
  if (raw.length > MAX_RULES) errors.push({ index: null, error: 'too_many' });
  const labels = new Set<string>();
  const ids = new Set<string>(raw.flatMap((r) => (isRecord(r) && typeof r.id === 'string' && RULE_ID.test(r.id) ? [r.id] : [])));
  const usedIds = new Set<string>();
  const value: PointsRule[] = [];
  for (const [index, r] of raw.entries()) {
    const rec = isRecord(r) ? r : {};
    const label = typeof rec.label === 'string' ? rec.label.trim() : '';
    if (!label || label.length > MAX_RULE_LABEL_CHARS) errors.push({ index, error: 'label' });
    else if (labels.has(label)) errors.push({ index, error: 'duplicate' });
    labels.add(label);
    if (!isInt(rec.points, -MAX_RULE_POINTS, MAX_RULE_POINTS) || rec.points === 0) errors.push({ index, error: 'points' });
    let id = typeof rec.id === 'string' && RULE_ID.test(rec.id) && !usedIds.has(rec.id) ? rec.id : ruleIdFor(label, new Set([...ids, ...usedIds]));
    usedIds.add(id);
    value.push({ id, label, points: rec.points as number });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}

/** Shape check of one points event as read from a document. */
export function isPointsEvent(v: unknown): v is PointsEvent {
  if (!isRecord(v) || !isUuidV7(v.id) || typeof v.actor !== 'string' || !v.actor || v.actor.length > MAX_ACTOR_ID_CHARS || !isRole(v.role)) return false;
  if (!isTime(v.at)) return false;
  if (v.by !== undefined && (typeof v.by !== 'string' || v.by.length > MAX_NAME_CHARS)) return false;
  switch (v.type) {
    case 'opened':
      return onlyKeys(v, BASE_KEYS);
    case 'award':
      return (
        onlyKeys(v, [...BASE_KEYS, 'household', 'rule', 'label', 'points', 'note']) &&
        isHousehold(v.household) &&
        typeof v.rule === 'string' &&
        RULE_ID.test(v.rule) &&
        text(v.label, MAX_RULE_LABEL_CHARS) &&
        isInt(v.points, -MAX_RULE_POINTS, MAX_RULE_POINTS) &&
        v.points !== 0 &&
        optionalNote(v.note)
      );
    case 'exchange':
      return (
        onlyKeys(v, [...BASE_KEYS, 'household', 'goods', 'points', 'note']) &&
        isHousehold(v.household) &&
        text(v.goods, MAX_GOODS_CHARS) &&
        isInt(v.points, 1, MAX_EXCHANGE_POINTS) &&
        optionalNote(v.note)
      );
    case 'rules_set':
      return (
        onlyKeys(v, [...BASE_KEYS, 'rules']) &&
        Array.isArray(v.rules) &&
        validateRules(v.rules).ok &&
        v.rules.every(isPointsRule) &&
        new Set((v.rules as PointsRule[]).map((r) => r.id)).size === v.rules.length
      );
    default:
      return false;
  }
}

export function isPointsFields(fields: Record<string, unknown>): boolean {
  return fields.form === POINTS_FORM;
}

export type PointsError = 'kind' | 'villageCode' | 'createdBy' | 'createdAt' | 'meetingId' | 'text' | 'trail' | 'events' | 'unknown_field';

const POINTS_FIELD_KEYS: Record<keyof PointsFields, true> = { form: true, kind: true, villageCode: true, createdBy: true, createdAt: true, meetingId: true };

/** Everything wrong with a points document as stored (empty: fine). Bounds every part. */
export function pointsErrors(s: AppealSnapshot, knownVillage: (code: string) => boolean): PointsError[] {
  const f = s.fields;
  const errors: PointsError[] = [];
  const kind = f.kind === 'sheet' || f.kind === 'rules' ? f.kind : null;
  if (!kind) errors.push('kind');
  if (!isRegionCode(f.villageCode) || levelOf(f.villageCode) !== 'village' || !knownVillage(f.villageCode)) errors.push('villageCode');
  if (typeof f.createdBy !== 'string' || !f.createdBy || f.createdBy.length > MAX_ACTOR_ID_CHARS) errors.push('createdBy');
  if (!isTime(f.createdAt)) errors.push('createdAt');
  if (f.meetingId !== undefined && (kind !== 'sheet' || !isUuidV7(f.meetingId))) errors.push('meetingId');
  if (Object.keys(f).some((k) => !Object.hasOwn(POINTS_FIELD_KEYS, k))) errors.push('unknown_field');
  if (s.description !== '') errors.push('text');
  if ((s.trail?.length ?? 0) > 0) errors.push('trail');
  const [first, ...rest] = s.events;
  const body = kind === 'rules' ? ['rules_set'] : ['award', 'exchange'];
  const eventsOk =
    rest.length <= (kind === 'rules' ? MAX_RULE_SETS : MAX_SHEET_ENTRIES) &&
    isPointsEvent(first) && first.type === 'opened' && first.at === f.createdAt && first.actor === f.createdBy &&
    rest.every((e) => isPointsEvent(e) && body.includes(e.type));
  if (!eventsOk) errors.push('events');
  return errors;
}

/** The history judge of a points document: its events change nothing about one another (the fold sorts). */
export const judgePoints = (events: readonly unknown[]) => events.map((e) => ({ verdict: 'applied', on: isRecord(e) && typeof e.id === 'string' ? e.id : '' }));

/** Whether `user` may create a points document of `kind` (role only; scope is checked apart). */
export function mayCreatePoints(role: Role, kind: PointsKind): boolean {
  return (kind === 'sheet' ? POINTS_RECORDERS : POINTS_RULE_EDITORS).includes(role);
}

/** Why `author` may not add `event` to a points document with `fields`, or null. */
export function pointsRefusal(author: Pick<SessionUser, 'id' | 'role' | 'scope'>, fields: { kind: PointsKind; villageCode: string; createdBy: string }, event: PointsEvent): string | null {
  if (!regionInScope(author.scope, fields.villageCode)) return 'out_of_scope';
  if (event.type === 'opened') return 'invalid_transition';
  if (fields.kind === 'sheet') {
    if (event.type === 'rules_set') return 'invalid_transition';
    if (!POINTS_RECORDERS.includes(author.role)) return 'role_not_allowed';
    return author.id === fields.createdBy ? null : 'not_creator';
  }
  if (event.type !== 'rules_set') return 'invalid_transition';
  return POINTS_RULE_EDITORS.includes(author.role) ? null : 'role_not_allowed';
}

/** Fills an empty doc with a new points document and its `opened` event, in one transaction. */
export function writeNewPoints(doc: Y.Doc, init: { kind: PointsKind; villageCode: string; meetingId?: string | undefined }, actor: Actor, at: number, eventId: string): void {
  const fields: PointsFields = {
    form: POINTS_FORM,
    kind: init.kind,
    villageCode: init.villageCode,
    createdBy: actor.id,
    createdAt: at,
    ...(init.kind === 'sheet' && init.meetingId && { meetingId: init.meetingId }),
  };
  doc.transact(() => {
    const map = fieldsOf(doc);
    for (const [k, v] of Object.entries(fields)) map.set(k, v);
    const opened: PointsEvent = { id: eventId, type: 'opened', actor: actor.id, role: actor.role, at, ...(actor.name ? { by: actor.name } : {}) };
    eventsOf(doc).push([opened]);
  });
}

const base = (actor: Actor, at: number, id: string) => ({ id, actor: actor.id, role: actor.role, at: Math.round(at), ...(actor.name ? { by: actor.name } : {}) });

/** The award event for `input`, or null when it is not one (bad household, rule or points). */
export function awardEvent(input: AwardInput, actor: Actor, at: number, id: string): PointsEvent | null {
  const household = normalizeHousehold(input.household);
  const note = input.note?.trim();
  const e = { ...base(actor, at, id), type: 'award' as const, household: household ?? '', rule: input.rule, label: input.label.trim(), points: input.points, ...(note ? { note } : {}) };
  return isPointsEvent(e) ? e : null;
}

/** The exchange event for `input`, or null when it is not one. */
export function exchangeEvent(input: ExchangeInput, actor: Actor, at: number, id: string): PointsEvent | null {
  const household = normalizeHousehold(input.household);
  const note = input.note?.trim();
  const e = { ...base(actor, at, id), type: 'exchange' as const, household: household ?? '', goods: input.goods.trim(), points: input.points, ...(note ? { note } : {}) };
  return isPointsEvent(e) ? e : null;
}

export function rulesEvent(rules: PointsRule[], actor: Actor, at: number, id: string): PointsEvent | null {
  const e = { ...base(actor, at, id), type: 'rules_set' as const, rules };
  return isPointsEvent(e) ? e : null;
}

// ---------------------------------------------------------------------------------------
// The ledger and its fold

/** One award or exchange as the ledger reads it, with the sheet it was kept on. */
export interface LedgerEntry {
  id: string;
  kind: 'award' | 'exchange';
  household: string;
  /** Award: the points given (negative: deducted). Exchange: the points spent (positive). */
  points: number;
  at: number;
  actor: string;
  /** Award only. */
  rule?: string;
  label?: string;
  /** Exchange only: what was handed over ("化肥1袋"). */
  goods?: string;
  note?: string;
}

export interface RuleSet {
  id: string;
  at: number;
  actor: string;
  rules: PointsRule[];
}

/** A points document's row: what devices and the server keep to fold without reading the CRDT. */
export interface PointsProjection {
  id: string;
  kind: PointsKind;
  village: string;
  town: string;
  createdBy: string;
  /** The creator's display name (staff, never a villager). */
  by: string;
  createdAt: number;
  meetingId: string | null;
  /** Sheets: awards and exchanges in document order. */
  entries: LedgerEntry[];
  /** Rules documents: the rule lists set, in document order. */
  ruleSets: RuleSet[];
}

export function ledgerEntry(e: PointsEvent): LedgerEntry | null {
  if (e.type === 'award') {
    return { id: e.id, kind: 'award', household: e.household, points: e.points, at: e.at, actor: e.actor, rule: e.rule, label: e.label, ...(e.note !== undefined && { note: e.note }) };
  }
  if (e.type === 'exchange') return { id: e.id, kind: 'exchange', household: e.household, points: e.points, at: e.at, actor: e.actor, goods: e.goods, ...(e.note !== undefined && { note: e.note }) };
  return null;
}

export function projectPoints(s: AppealSnapshot): PointsProjection {
  const f = s.fields;
  const village = String(f.villageCode ?? '');
  const events = s.events.filter(isPointsEvent);
  const opened = events.find((e) => e.type === 'opened');
  return {
    id: s.id,
    kind: f.kind === 'rules' ? 'rules' : 'sheet',
    village,
    town: isRegionCode(village) ? townOf(village) : '',
    createdBy: String(f.createdBy ?? ''),
    by: opened?.by ?? '',
    createdAt: typeof f.createdAt === 'number' ? f.createdAt : 0,
    meetingId: typeof f.meetingId === 'string' ? f.meetingId : null,
    entries: events.flatMap((e) => ledgerEntry(e) ?? []),
    ruleSets: events.flatMap((e) => (e.type === 'rules_set' ? [{ id: e.id, at: e.at, actor: e.actor, rules: e.rules }] : [])),
  };
}

const byTimeThenId = (a: { at: number; id: string }, b: { at: number; id: string }) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A village's rule list: the latest set across its rules documents (time, then id), or the defaults. */
export function currentRules(docs: Iterable<Pick<PointsProjection, 'ruleSets'>>): { rules: readonly PointsRule[]; setAt: number | null; custom: boolean } {
  let latest: RuleSet | null = null;
  for (const d of docs) for (const s of d.ruleSets) if (!latest || byTimeThenId(latest, s) < 0) latest = s;
  return latest ? { rules: latest.rules, setAt: latest.at, custom: true } : { rules: DEFAULT_RULES, setAt: null, custom: false };
}

export interface HouseholdBalance {
  household: string;
  /** Sum of positive awards. */
  earned: number;
  /** Sum of deductions, as a positive number. */
  deducted: number;
  /** Sum of exchanges. */
  spent: number;
  balance: number;
  awards: number;
  exchanges: number;
  /** Exchanges that took the household below zero (kept and counted, see foldLedger). */
  overdrawn: number;
  lastAt: number;
}

export interface Ledger {
  /** By household number. */
  households: HouseholdBalance[];
  /** Every entry once, in ledger order (time, then id). */
  entries: LedgerEntry[];
  /** Ids of exchanges that overdrew their household. */
  overdrawn: string[];
}

/**
 * The ledger of a village from the entries of all its sheets, in any order and with repeats.
 * Entries are taken once each (by id) and walked in time order (id breaking ties), so every
 * device folds the same balances whatever merged first. An exchange that spends more than
 * the household had at that moment — two devices each exchanging offline — is kept, counted
 * and flagged, never dropped: the goods were handed over, the balance shows the debt.
 */
export function foldLedger(entries: Iterable<LedgerEntry>): Ledger {
  const unique = new Map<string, LedgerEntry>();
  for (const e of entries) {
    const seen = unique.get(e.id);
    // Ids are unique per entry; if a forged repeat differed, the lower JSON wins, still order-free.
    if (!seen || JSON.stringify(e) < JSON.stringify(seen)) unique.set(e.id, e);
  }
  const sorted = [...unique.values()].sort(byTimeThenId);
  const houses = new Map<string, HouseholdBalance>();
  const overdrawn: string[] = [];
  for (const e of sorted) {
    let h = houses.get(e.household);
    if (!h) houses.set(e.household, (h = { household: e.household, earned: 0, deducted: 0, spent: 0, balance: 0, awards: 0, exchanges: 0, overdrawn: 0, lastAt: 0 }));
    h.lastAt = Math.max(h.lastAt, e.at);
    if (e.kind === 'award') {
      h.awards++;
      if (e.points > 0) h.earned += e.points;
      else h.deducted -= e.points;
      h.balance += e.points;
    } else {
      h.exchanges++;
      if (h.balance < e.points) {
        h.overdrawn++;
        overdrawn.push(e.id);
      }
      h.spent += e.points;
      h.balance -= e.points;
    }
  }
  return { households: [...houses.values()].sort((a, b) => compareHouseholds(a.household, b.household)), entries: sorted, overdrawn };
}

/** The entries of every sheet among `docs` (rules documents have none). */
export function sheetEntries(docs: Iterable<Pick<PointsProjection, 'entries'>>): LedgerEntry[] {
  return [...docs].flatMap((d) => d.entries);
}

/** Households most recently written to, latest first: the facilitator's quick picks. */
export function recentHouseholds(entries: Iterable<LedgerEntry>, n = 8): string[] {
  const last = new Map<string, number>();
  for (const e of entries) last.set(e.household, Math.max(last.get(e.household) ?? 0, e.at));
  return [...last].sort((a, b) => b[1] - a[1] || compareHouseholds(a[0], b[0])).slice(0, n).map(([h]) => h);
}

// ---------------------------------------------------------------------------------------
// What leaves the village: the public board and the reports

export interface PublicStanding {
  rank: number;
  household: string;
  balance: number;
  earned: number;
}
export interface PublicAward {
  household: string;
  label: string;
  points: number;
  /** CST date only: when, not who recorded it. */
  at: number;
}
export interface PublicPointsBoard {
  standings: PublicStanding[];
  recent: PublicAward[];
  /** Points awarded per rule label over all time (deductions negative). */
  byRule: { label: string; count: number; points: number }[];
  households: number;
}

/**
 * What a village's public board shows: households by number, their balance, and recent
 * awards by rule. Nothing else of an entry (notes, goods, who recorded) leaves the ledger.
 */
export function publicBoard(ledger: Ledger, top = 30, recentN = 15): PublicPointsBoard {
  const ordered = [...ledger.households].sort((a, b) => b.balance - a.balance || compareHouseholds(a.household, b.household));
  let rank = 0;
  let prev: number | null = null;
  const standings = ordered.slice(0, top).map((h, i) => {
    if (h.balance !== prev) rank = i + 1;
    prev = h.balance;
    return { rank, household: h.household, balance: h.balance, earned: h.earned };
  });
  const awards = ledger.entries.filter((e) => e.kind === 'award');
  const recent = awards.slice(-recentN).reverse().map((e) => ({ household: e.household, label: e.label ?? '', points: e.points, at: e.at }));
  const rules = new Map<string, { label: string; count: number; points: number }>();
  for (const e of awards) {
    const r = rules.get(e.label ?? '') ?? { label: e.label ?? '', count: 0, points: 0 };
    r.count++;
    r.points += e.points;
    rules.set(r.label, r);
  }
  // Labels of rules since replaced count too; the most used MAX_RULES keep the page bounded.
  const byRule = [...rules.values()].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)).slice(0, MAX_RULES);
  return { standings, recent, byRule, households: ledger.households.length };
}

export interface PointsReportRow {
  village: string;
  households: number;
  awards: number;
  /** Points given (positive awards). */
  given: number;
  deducted: number;
  exchanges: number;
  /** Points spent on goods. */
  exchanged: number;
  overdrawn: number;
}

/** Points given and exchanged per village over entries at or after `from` and before `to`. */
export function pointsReport(docs: Iterable<Pick<PointsProjection, 'village' | 'entries'>>, from = -Infinity, to = Infinity): PointsReportRow[] {
  const byVillage = new Map<string, LedgerEntry[]>();
  for (const d of docs) {
    const list = byVillage.get(d.village) ?? [];
    list.push(...d.entries);
    byVillage.set(d.village, list);
  }
  const rows: PointsReportRow[] = [];
  for (const [village, entries] of byVillage) {
    // Overdrafts are judged on the whole ledger, then counted in the period.
    const ledger = foldLedger(entries);
    const flagged = new Set(ledger.overdrawn);
    const inPeriod = ledger.entries.filter((e) => e.at >= from && e.at < to);
    const row: PointsReportRow = { village, households: new Set(inPeriod.map((e) => e.household)).size, awards: 0, given: 0, deducted: 0, exchanges: 0, exchanged: 0, overdrawn: 0 };
    for (const e of inPeriod) {
      if (e.kind === 'award') {
        row.awards++;
        if (e.points > 0) row.given += e.points;
        else row.deducted -= e.points;
      } else {
        row.exchanges++;
        row.exchanged += e.points;
        if (flagged.has(e.id)) row.overdrawn++;
      }
    }
    if (row.awards + row.exchanges > 0) rows.push(row);
  }
  return rows.sort((a, b) => a.village.localeCompare(b.village));
}
