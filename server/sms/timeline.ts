import type { Policies } from '../../src/core/policy-book';
import { SYSTEM, type AppealEvent } from '../../src/core/events';
import { newId } from '../../src/core/id';
import { SMS_INTAKE, type SmsPurpose, type SmsStatus } from '../../src/core/sms';
import { appendOnServer } from '../services/intake';
import type { Store } from '../store/types';
import type { CommitBus } from '../sync/bus';

/** The device the gateway's events are numbered under. */
export const SMS_DEVICE = SMS_INTAKE;

export interface TimelineDeps {
  store: Store;
  bus: CommitBus;
  policy: Policies;
}

/** Writes where a message stands onto its appeal's timeline (an `sms` event, core/events.ts): never the number. */
export async function noteSms(d: TimelineDeps, appealId: string, message: string, purpose: SmsPurpose, status: SmsStatus, extra: { parts?: number; reason?: string | null } = {}): Promise<void> {
  await appendOnServer(d.store, d.bus, d.policy, appealId, SMS_DEVICE, (state) => ({
    id: newId(),
    type: 'sms',
    actor: SYSTEM,
    role: SYSTEM,
    at: Date.now(),
    message,
    purpose,
    status,
    ...(extra.parts !== undefined && extra.parts > 0 && { parts: extra.parts }),
    ...(extra.reason && { reason: extra.reason.slice(0, 200) }),
    ...(state.lastAppliedId && { basis: state.lastAppliedId }),
  }) as AppealEvent);
}
