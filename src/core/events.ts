import { isHash } from './attachments';
import { isUuidV7 } from './id';
import { MAX_EVENT_NOTE_CHARS, MAX_NAME_CHARS } from './limits';
import { CHANNELS, type Channel } from './appeal';
import { isDepartment } from './departments';
import { isRole, type Role } from './roles';
import { QUALITY_RULES, type QualityRule } from './reply-quality';
import { SMS_PURPOSES, SMS_STATUSES, type SmsPurpose, type SmsStatus } from './sms';

/**
 * Where an appeal is being dispatched or handled: a village, a town, a county platform, the
 * city center. A deployment's top tier is its county or its city (DeadlinePolicy.topTier).
 */
export const TIERS = ['village', 'town', 'county', 'city'] as const;
export type Tier = (typeof TIERS)[number];

/**
 * Tiers as events written before the city tier named them: one deployment was one county and
 * its center was called 'city'. Read through `legacyTier`; never written any more.
 */
export const LEGACY_TIERS = ['village', 'town', 'city'] as const;
export type LegacyTier = (typeof LEGACY_TIERS)[number];

export function legacyTier(t: LegacyTier): Tier {
  return t === 'city' ? 'county' : t;
}

/** Where an assignment sends the appeal: `to` on events written now, `tier` on older ones. */
export function assignedTier(e: { to?: Tier; tier?: LegacyTier }): Tier {
  return e.to ?? legacyTier(e.tier ?? 'village');
}

/** A label on an appeal that asks for nothing reasonable (不合理诉求): requested by its handler, decided one level up. */
export const UNREASONABLE = ['requested', 'approved', 'rejected'] as const;
export type Unreasonable = (typeof UNREASONABLE)[number];

export const SATISFACTION = ['satisfied', 'basically_satisfied', 'unsatisfied'] as const;
export type Satisfaction = (typeof SATISFACTION)[number];

/** Events the server's deadline scanner appends carry this actor and role. */
export const SYSTEM = 'system';
/** A citizen's own return-visit rating, given with the evaluation code, carries this actor and role. */
export const CITIZEN = 'citizen';
export type EventRole = Role | typeof SYSTEM | typeof CITIZEN;

export const WARNING_STAGES = ['due_soon', 'overdue', 'severe'] as const;
export type WarningStage = (typeof WARNING_STAGES)[number];

/** Who a warning goes to: the handler before the deadline, handler and leader after it. */
export const NOTIFY = ['handler', 'leader'] as const;
export type Notify = (typeof NOTIFY)[number];

/** A quality reviewer's verdict on a reply (全流程质检): it stands, or the handler does it again. */
export const QUALITY_VERDICTS = ['passed', 'redo'] as const;
export type QualityVerdict = (typeof QUALITY_VERDICTS)[number];

interface EventBase {
  /** UUIDv7 made by the device that appended the event. */
  id: string;
  actor: string;
  role: EventRole;
  /** Device clock, Unix ms. Ordering never depends on it: the array order does. */
  at: number;
  /**
   * The last event the author's device had applied when it appended this one. The server
   * uses it to tell an honest offline race (kept, folded as a conflict note) from a
   * transition that was already impossible on the author's own screen (refused).
   */
  basis?: string;
  /** The author's display name when they acted, so timelines read offline without a directory. */
  by?: string;
}

export type AppealEvent =
  /**
   * `onSpot`: the answer given when the matter was solved at once (a bench meeting, a patrol).
   * `desk`: taken in at a county or city dispatch desk (the hotline), where it then waits for
   * dispatch; without it an appeal waits at its village's desk, as every older one did.
   */
  | (EventBase & { type: 'recorded'; onSpot?: string; desk?: 'county' | 'city' })
  | (EventBase & { type: 'accepted' })
  /**
   * 派单: to a department or a named handler at a tier, to the sender's own desk to handle,
   * or to another tier's desk, which then dispatches it in turn. `from` is the sender's desk
   * (absent on older events). Read the tier with `assignedTier`.
   */
  | (EventBase & { type: 'assigned'; to?: Tier; tier?: LegacyTier; from?: Tier; dept?: string; handler?: string; note?: string })
  /** 上报: to the next tier's dispatcher; `to` names it (absent on older events, where it is the next tier). */
  | (EventBase & { type: 'escalated'; reason: string; to?: Tier })
  /** 改派: the sender (or a dispatcher above) gives it to another owner; the new owner's clock starts. */
  | (EventBase & { type: 'reassigned'; to: Tier; from?: Tier; dept?: string; handler?: string; reason: string })
  /**
   * 退回: the owner is not responsible; it goes back to the desk that sent it (`to`), or after
   * repeated returns to the dispatcher above for review (分级研判).
   */
  | (EventBase & { type: 'returned'; reason: string; to: Tier })
  /** 分级研判: after repeated returns, the dispatcher above decides who owns it; final. */
  | (EventBase & { type: 'reviewed'; to: Tier; from?: Tier; dept?: string; handler?: string; note: string })
  | (EventBase & { type: 'unreasonable_requested'; reason: string })
  | (EventBase & { type: 'unreasonable_decided'; approved: boolean; note?: string })
  | (EventBase & { type: 'started'; note?: string })
  | (EventBase & { type: 'replied'; note: string; via: Channel })
  | (EventBase & { type: 'extension_requested'; days: number; reason: string })
  | (EventBase & { type: 'extension_decided'; approved: boolean; days: number; note?: string })
  | (EventBase & { type: 'warned'; stage: WarningStage; dueAt: number; notify: Notify[] })
  | (EventBase & { type: 'supervised'; level: number; note?: string })
  | (EventBase & { type: 'visited'; satisfaction: Satisfaction; note?: string })
  | (EventBase & { type: 'reopened'; reason: string })
  | (EventBase & { type: 'closed'; note?: string })
  | (EventBase & { type: 'merged'; into: string })
  | (EventBase & { type: 'commented'; note: string })
  /** Shown on the public board (晾晒) with the publisher's own wording, never the citizen's text. */
  | (EventBase & { type: 'published'; summary: string; reply?: string })
  | (EventBase & { type: 'unpublished'; reason?: string })
  /** A good suggestion taken up (问计献策 adopted). */
  | (EventBase & { type: 'adopted'; note?: string })
  /** A place booked at a leader's reception day; `startsAt` and `host` copied so the timeline reads offline. */
  | (EventBase & { type: 'reception_booked'; slotId: string; startsAt: number; host: string })
  | (EventBase & { type: 'reception_held'; slotId: string; note: string })
  /**
   * 质检: a reviewer's verdict on the reply `reply` names (the `replied` event, or the `recorded`
   * one that carried an on-the-spot answer). `redo` sends it back to its handler, whose clock
   * resumes; `rules` are the checks the reviewer agrees fired, `note` says what to do better.
   */
  | (EventBase & { type: 'quality_reviewed'; verdict: QualityVerdict; reply: string; note?: string; rules?: QualityRule[] })
  /** 调解: a dispute sent to a mediator of the roster; `mediatorName` copied so the timeline reads offline. */
  | (EventBase & { type: 'mediation_requested'; mediator: string; mediatorName: string; note?: string })
  /** One mediation session as the mediator records it: who sat down, where, and what was said or agreed. */
  | (EventBase & { type: 'mediation_session'; parties: string; place: string; agreed: string })
  /** The mediation's outcome: settled (the agreement is the reply to the citizen) or not (back to its handler, the record kept). */
  | (EventBase & { type: 'mediation_closed'; settled: boolean; note: string })
  /**
   * Replies by SMS (server/sms): where one message to the citizen's phone stands, by the
   * system alone. `message` is its outbox id; never the number. `reason` says why it failed.
   */
  | (EventBase & { type: 'sms'; message: string; purpose: SmsPurpose; status: SmsStatus; parts?: number; reason?: string })
  /**
   * 调原图: someone who works the appeal asks for a photo's original (`hash`, one the appeal
   * lists); the recording phone sees it after sync and sends it first, even on a metered link.
   */
  | (EventBase & { type: 'original_requested'; hash: string });

export type EventType = AppealEvent['type'];

/** What the author of an event supplies; identity, time and basis are filled in for them. */
export type EventInput<E = AppealEvent> = E extends unknown ? Omit<E, 'id' | 'actor' | 'role' | 'at' | 'basis' | 'by'> : never;

export const EVENT_TYPES: readonly EventType[] = [
  'recorded', 'accepted', 'assigned', 'started', 'escalated', 'replied', 'extension_requested',
  'extension_decided', 'warned', 'supervised', 'visited', 'reopened', 'closed', 'merged', 'commented',
  'published', 'unpublished', 'adopted', 'reception_booked', 'reception_held',
  'reassigned', 'returned', 'reviewed', 'unreasonable_requested', 'unreasonable_decided', 'quality_reviewed',
  'mediation_requested', 'mediation_session', 'mediation_closed',
  'sms', 'original_requested',
];

/** The public board's approved wording is short: a summary and the answer in brief. */
export const MAX_PUBLIC_CHARS = 500;

/** The supervision ladder, level 1 to 5. */
export const SUPERVISION_LADDER = ['hotline', 'media', 'government', 'congress', 'discipline'] as const;
export const MAX_EXTENSION_DAYS = 10;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const text = (v: unknown, required: boolean) =>
  v === undefined ? !required : typeof v === 'string' && v.length <= MAX_EVENT_NOTE_CHARS && (!required || v.trim().length > 0);
const oneOf = (list: readonly string[], v: unknown) => typeof v === 'string' && list.includes(v);
const extensionDays = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_EXTENSION_DAYS;

/** A sender's desk, a department and a handler, each optional, as an assignment names them. */
const owner = (v: Record<string, unknown>) =>
  (v.from === undefined || oneOf(TIERS, v.from)) && (v.dept === undefined || isDepartment(v.dept)) && (v.handler === undefined || isUuidV7(v.handler));

const receptionBooking = (v: Record<string, unknown>) =>
  isUuidV7(v.slotId) && typeof v.startsAt === 'number' && Number.isFinite(v.startsAt) && typeof v.host === 'string' && v.host.length > 0 && v.host.length <= MAX_NAME_CHARS;

/** Shape check of one event as read from a document; anything else is malformed. */
export function isAppealEvent(v: unknown): v is AppealEvent {
  if (!isRecord(v)) return false;
  if (!isUuidV7(v.id) || typeof v.actor !== 'string' || !v.actor) return false;
  // Only the scanner writes as the system, and only warnings and supervision.
  const system = v.role === SYSTEM && v.actor === SYSTEM;
  // Only the server writes as the citizen, and only the rating of a return visit.
  const citizen = v.role === CITIZEN && v.actor === CITIZEN;
  if (citizen) {
    const common = typeof v.at === 'number' && Number.isFinite(v.at) && (v.basis === undefined || isUuidV7(v.basis)) && v.by === undefined;
    // The citizen rates the return visit and books a reception place with the evaluation code.
    if (v.type === 'visited') return common && oneOf(SATISFACTION, v.satisfaction) && text(v.note, false);
    if (v.type === 'reception_booked') return common && receptionBooking(v);
    return false;
  }
  if (!system && (!isRole(v.role) || v.actor === SYSTEM || v.actor === CITIZEN)) return false;
  if (system && v.type !== 'warned' && v.type !== 'supervised' && v.type !== 'sms') return false;
  if (!system && (v.type === 'warned' || v.type === 'sms')) return false;
  if (typeof v.at !== 'number' || !Number.isFinite(v.at)) return false;
  if (v.basis !== undefined && !isUuidV7(v.basis)) return false;
  if (v.by !== undefined && (typeof v.by !== 'string' || v.by.length > MAX_NAME_CHARS)) return false;
  switch (v.type) {
    case 'recorded':
      return (v.onSpot === undefined || text(v.onSpot, true)) && (v.desk === undefined || v.desk === 'county' || v.desk === 'city');
    case 'accepted':
      return true;
    case 'started':
      return text(v.note, false);
    case 'assigned':
      // Exactly one of `to` (now) and `tier` (older events).
      return (v.to === undefined ? oneOf(LEGACY_TIERS, v.tier) : v.tier === undefined && oneOf(TIERS, v.to)) && owner(v) && text(v.note, false);
    case 'reassigned':
      return oneOf(TIERS, v.to) && owner(v) && text(v.reason, true);
    case 'reviewed':
      return oneOf(TIERS, v.to) && owner(v) && text(v.note, true);
    case 'escalated':
      return text(v.reason, true) && (v.to === undefined || oneOf(TIERS, v.to));
    case 'returned':
      return text(v.reason, true) && oneOf(TIERS, v.to);
    case 'reopened':
    case 'unreasonable_requested':
      return text(v.reason, true);
    case 'unreasonable_decided':
      return typeof v.approved === 'boolean' && text(v.note, false);
    case 'replied':
      return text(v.note, true) && oneOf(CHANNELS, v.via);
    case 'commented':
      return text(v.note, true);
    case 'extension_requested':
      return extensionDays(v.days) && text(v.reason, true);
    case 'extension_decided':
      return typeof v.approved === 'boolean' && extensionDays(v.days) && text(v.note, false);
    case 'warned':
      return (
        oneOf(WARNING_STAGES, v.stage) && typeof v.dueAt === 'number' && Number.isFinite(v.dueAt) &&
        Array.isArray(v.notify) && v.notify.length > 0 && v.notify.length <= NOTIFY.length && v.notify.every((n) => oneOf(NOTIFY, n))
      );
    case 'supervised':
      return typeof v.level === 'number' && Number.isInteger(v.level) && v.level >= 1 && v.level <= 5 && text(v.note, false);
    case 'visited':
      return oneOf(SATISFACTION, v.satisfaction) && text(v.note, false);
    case 'closed':
      return text(v.note, false);
    case 'merged':
      return isUuidV7(v.into);
    case 'published':
      return text(v.summary, true) && (v.summary as string).length <= MAX_PUBLIC_CHARS && text(v.reply, false) && (v.reply === undefined || (v.reply as string).length <= MAX_PUBLIC_CHARS);
    case 'unpublished':
      return text(v.reason, false);
    case 'adopted':
      return text(v.note, false);
    case 'reception_booked':
      return receptionBooking(v);
    case 'reception_held':
      return isUuidV7(v.slotId) && text(v.note, true);
    case 'quality_reviewed':
      return (
        oneOf(QUALITY_VERDICTS, v.verdict) && isUuidV7(v.reply) && text(v.note, v.verdict === 'redo') &&
        (v.rules === undefined || (Array.isArray(v.rules) && v.rules.length <= QUALITY_RULES.length && new Set(v.rules).size === v.rules.length && v.rules.every((r) => oneOf(QUALITY_RULES, r))))
      );
    case 'mediation_requested':
      return isUuidV7(v.mediator) && typeof v.mediatorName === 'string' && v.mediatorName.length > 0 && v.mediatorName.length <= MAX_NAME_CHARS && text(v.note, false);
    case 'mediation_session':
      return text(v.parties, true) && text(v.place, true) && text(v.agreed, true);
    case 'mediation_closed':
      return typeof v.settled === 'boolean' && text(v.note, true);
    case 'sms':
      return (
        isUuidV7(v.message) && oneOf(SMS_PURPOSES, v.purpose) && oneOf(SMS_STATUSES, v.status) && text(v.reason, false) &&
        (v.parts === undefined || (typeof v.parts === 'number' && Number.isInteger(v.parts) && v.parts >= 1 && v.parts <= 255))
      );
    case 'original_requested':
      return isHash(v.hash);
    default:
      return false;
  }
}
