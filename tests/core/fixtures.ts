// Shared builders for the core unit tests (not a test file itself).
import { newId } from '../../src/core/id';
import type { AppealInput } from '../../src/core/appeal';
import { SYSTEM, type AppealEvent, type EventRole, type EventType } from '../../src/core/events';
import type { SessionUser } from '../../src/core/roles';

export const VILLAGE = '371324102201';
export const OTHER_TOWN_VILLAGE = '371324103201';
export const KNOWN_VILLAGES = new Set([VILLAGE, '371324102202', OTHER_TOWN_VILLAGE]);
export const knownVillage = (code: string): boolean => KNOWN_VILLAGES.has(code);

export function validInput(over: Partial<AppealInput> = {}): AppealInput {
  return {
    channel: 'grid_patrol',
    category: 'infra.roads',
    kind: 'complaint',
    urgency: 'yellow',
    villageCode: VILLAGE,
    description: '村东头的路坏了，雨天无法通行。\n请尽快修复。',
    citizen: { anonymous: false, name: '张三', phone: '13812345678' },
    gps: null,
    ...over,
  };
}

export const gridWorker: SessionUser = {
  id: 'u-grid',
  username: 'grid1',
  displayName: 'Grid One',
  role: 'grid_worker',
  scope: { regions: ['371324102'], departments: [] },
};

export const townOfficial: SessionUser = {
  id: 'u-town',
  username: 'town1',
  displayName: 'Town One',
  role: 'town_official',
  scope: { regions: ['371324102'], departments: [] },
};

/** Minimal valid payload for each event type. */
export const PAYLOAD: { [K in EventType]: Omit<Extract<AppealEvent, { type: K }>, 'id' | 'actor' | 'role' | 'at' | 'type' | 'basis' | 'by'> } = {
  recorded: {},
  accepted: {},
  assigned: { tier: 'village' },
  escalated: { reason: 'beyond the village' },
  started: {},
  replied: { note: 'fixed', via: 'grid_patrol' },
  extension_requested: { days: 3, reason: 'needs materials' },
  extension_decided: { approved: true, days: 3 },
  warned: { stage: 'overdue', dueAt: 1_700_000_000_000, notify: ['handler', 'leader'] },
  supervised: { level: 1 },
  visited: { satisfaction: 'satisfied' },
  reopened: { reason: 'still broken' },
  closed: {},
  merged: { into: '01890a5d-ac96-774b-bcce-b302099a8057' },
  commented: { note: 'noted' },
  published: { summary: '村道塌陷已修复' },
  unpublished: {},
  adopted: {},
  reception_booked: { slotId: '01890a5d-ac96-774b-bcce-b302099a8058', startsAt: 1_700_100_000_000, host: '县长 王明' },
  reception_held: { slotId: '01890a5d-ac96-774b-bcce-b302099a8058', note: '当面答复，群众认可' },
  reassigned: { to: 'village', reason: '应由村里办' },
  returned: { reason: '不属本单位职责', to: 'village' },
  reviewed: { to: 'village', note: '研判：由村里办理' },
  unreasonable_requested: { reason: '诉求超出政策范围' },
  unreasonable_decided: { approved: true },
  quality_reviewed: { verdict: 'redo', reply: '01890a5d-ac96-774b-bcce-b302099a8059', note: '请写明何时修好' },
  mediation_requested: { mediator: '01890a5d-ac96-774b-bcce-b302099a805a', mediatorName: '金牌调解员 苗' },
  mediation_session: { parties: '张家、李家', place: '村委会调解室', agreed: '院墙按原址重砌，费用两家平摊' },
  mediation_closed: { settled: true, note: '双方签订调解协议，院墙本月内重砌' },
  sms: { message: '01890a5d-ac96-774b-bcce-b302099a805b', purpose: 'reply', status: 'delivered', parts: 2 },
  original_requested: { hash: 'a'.repeat(64) },
};

let clock = 1_700_000_000_000;

/** A well-formed event; `over` may replace any field (including the payload). */
export function ev<T extends EventType>(
  type: T,
  over: Partial<Extract<AppealEvent, { type: T }>> = {},
  actor: { id: string; role: EventRole } = type === 'warned' || type === 'sms' ? { id: SYSTEM, role: SYSTEM } : { id: townOfficial.id, role: townOfficial.role },
): AppealEvent {
  const payload: Record<string, unknown> = { ...PAYLOAD[type] };
  // An assignment names its tier one way: `to` (now) replaces the legacy `tier`.
  if ('to' in over) delete payload.tier;
  return { id: newId(), type, actor: actor.id, role: actor.role, at: clock++, ...payload, ...over } as AppealEvent;
}
