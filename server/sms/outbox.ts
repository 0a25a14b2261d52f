import { randomInt } from 'node:crypto';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { smsOwed, smsText, type SmsWording } from '../../src/core/sms';
import type { OutboxSms } from '../store/types';
import { noteSms, type TimelineDeps } from './timeline';

// What an SMS appeal is owed goes into the durable outbox the moment its event is committed
// (one row per triggering event and purpose, so replaying the stream queues nothing twice),
// and the timeline says "queued". The sender takes it from there.

export interface OutboxDeps extends TimelineDeps {
  wording: SmsWording;
}

/** Queues what the appeal is owed and not yet queued; returns how many were queued now. */
export async function queueOwed(d: OutboxDeps, appealId: string): Promise<number> {
  const [row] = await d.store.appealsById([appealId]);
  if (!row || row.channel !== 'sms') return 0;
  const doc = docFromUpdates(await d.store.docParts(appealId));
  const snapshot = readAppeal(doc, appealId);
  doc.destroy();
  const code = typeof snapshot.fields.evalCode === 'string' ? snapshot.fields.evalCode : null;
  let queued = 0;
  for (const owed of smsOwed(snapshot, fold(snapshot.events, appealId))) {
    const id = newId();
    const body = smsText(owed.purpose, d.wording, code, owed.note);
    if (!(await d.store.queueSms({ id, dedupe: owed.key, appealId, purpose: owed.purpose, body, phone: null, ref: randomInt(256) }, Date.now()))) continue;
    queued++;
    await noteSms(d, appealId, id, owed.purpose, 'queued');
  }
  return queued;
}

/** Queues the one-time confirmation of an opt-out: the only message that keeps its number, until it is sent. */
export async function queueOptOutConfirmation(d: OutboxDeps, phone: string, hash: string): Promise<void> {
  const at = Date.now();
  await d.store.queueSms({ id: newId(), dedupe: `optout:${hash}:${at}`, appealId: null, purpose: 'opt_out', body: smsText('opt_out', d.wording, null), phone, ref: randomInt(256) }, at);
}

/**
 * A sent message's final word once its parts have theirs: failed when any part failed,
 * delivered when every part was delivered, else unchanged. Written to the outbox and the timeline.
 */
export async function settle(d: TimelineDeps, m: OutboxSms): Promise<void> {
  if (m.state !== 'sent') return;
  const parts = await d.store.smsParts(m.id);
  const failed = parts.find((p) => p.state === 'failed');
  const delivered = parts.length >= m.parts && parts.every((p) => p.state === 'delivered');
  if (!failed && !delivered) return;
  const state = failed ? 'failed' : 'delivered';
  const reason = failed ? (failed.reason ?? 'undelivered') : null;
  await d.store.updateSms(m.id, { state, reason }, Date.now());
  if (m.appealId) await noteSms(d, m.appealId, m.id, m.purpose, state, { parts: m.parts, reason });
}
