import { isUuidV7 } from './id';
import { MAX_EVENT_NOTE_CHARS } from './limits';
import { isRole, type Role } from './roles';

export const TIERS = ['village', 'town', 'city'] as const;
export type Tier = (typeof TIERS)[number];

export const SATISFACTION = ['satisfied', 'basically_satisfied', 'unsatisfied'] as const;
export type Satisfaction = (typeof SATISFACTION)[number];

interface EventBase {
  /** UUIDv7 made by the device that appended the event. */
  id: string;
  actor: string;
  role: Role;
  /** Device clock, Unix ms. Ordering never depends on it: the array order does. */
  at: number;
}

export type AppealEvent =
  | (EventBase & { type: 'recorded' })
  | (EventBase & { type: 'accepted' })
  | (EventBase & { type: 'assigned'; tier: Tier; dept?: string; handler?: string; note?: string })
  | (EventBase & { type: 'escalated'; reason: string })
  | (EventBase & { type: 'replied'; note: string })
  | (EventBase & { type: 'extended'; days: number; reason: string })
  | (EventBase & { type: 'supervised'; level: number; note?: string })
  | (EventBase & { type: 'visited'; satisfaction: Satisfaction; note?: string })
  | (EventBase & { type: 'reopened'; reason: string })
  | (EventBase & { type: 'closed'; note?: string })
  | (EventBase & { type: 'merged'; into: string })
  | (EventBase & { type: 'commented'; note: string });

export type EventType = AppealEvent['type'];

export const EVENT_TYPES: readonly EventType[] = [
  'recorded', 'accepted', 'assigned', 'escalated', 'replied', 'extended',
  'supervised', 'visited', 'reopened', 'closed', 'merged', 'commented',
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const text = (v: unknown, required: boolean) =>
  v === undefined ? !required : typeof v === 'string' && v.length <= MAX_EVENT_NOTE_CHARS && (!required || v.trim().length > 0);
const oneOf = (list: readonly string[], v: unknown) => typeof v === 'string' && list.includes(v);

/** Shape check of one event as read from a document; anything else is malformed. */
export function isAppealEvent(v: unknown): v is AppealEvent {
  if (!isRecord(v)) return false;
  if (!isUuidV7(v.id) || typeof v.actor !== 'string' || !v.actor || !isRole(v.role)) return false;
  if (typeof v.at !== 'number' || !Number.isFinite(v.at)) return false;
  switch (v.type) {
    case 'recorded':
    case 'accepted':
      return true;
    case 'assigned':
      return oneOf(TIERS, v.tier) && text(v.dept, false) && text(v.handler, false) && text(v.note, false);
    case 'escalated':
    case 'reopened':
      return text(v.reason, true);
    case 'replied':
    case 'commented':
      return text(v.note, true);
    case 'extended':
      return typeof v.days === 'number' && Number.isInteger(v.days) && v.days > 0 && v.days <= 10 && text(v.reason, true);
    case 'supervised':
      return typeof v.level === 'number' && Number.isInteger(v.level) && v.level >= 1 && v.level <= 5 && text(v.note, false);
    case 'visited':
      return oneOf(SATISFACTION, v.satisfaction) && text(v.note, false);
    case 'closed':
      return text(v.note, false);
    case 'merged':
      return isUuidV7(v.into);
    default:
      return false;
  }
}
