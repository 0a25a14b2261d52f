import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPgSchema, openPgStore } from '../../server/store/postgres';
import { openSqliteStore } from '../../server/store/sqlite';
import type { Store } from '../../server/store/types';
import { newId } from '../../src/core/id';
import { onPostgres, PG_URL } from '../helpers/server';

// The SMS outbox on the store this run tests (SQLite, or PostgreSQL in the postgres project):
// queued once per key, claimed by one sender at a time, reclaimed when a sender's lease lapses,
// receipts matched to the parts the SMSC accepted, opt-outs kept once.

let store: Store;
const schema = `t_${process.pid}_sms_outbox`;
beforeAll(async () => {
  store = onPostgres() ? await openPgStore(PG_URL, schema) : openSqliteStore(':memory:');
});
afterAll(async () => {
  await store.close();
  if (onPostgres()) await dropPgSchema(PG_URL, schema);
});

const message = (dedupe: string) => ({ id: newId(), dedupe, appealId: newId(), purpose: 'reply' as const, body: '答复', phone: null, ref: 42 });

describe('the SMS outbox', () => {
  it('queues a message once per key', async () => {
    const m = message('e1:reply');
    expect(await store.queueSms(m, 1_000)).toBe(true);
    expect(await store.queueSms({ ...m, id: newId() }, 1_001)).toBe(false);
    expect((await store.smsMessages(m.appealId)).map((r) => r.id)).toEqual([m.id]);
  });

  it('hands a due message to one sender, and again only once its lease has lapsed', async () => {
    const m = message('e2:reply');
    await store.queueSms(m, 2_000);
    // e1 was queued first: claims go oldest first.
    const first = await store.claimSms(2_000, 60_000);
    const second = await store.claimSms(2_000, 60_000);
    expect([first?.dedupe, second?.dedupe]).toEqual(['e1:reply', 'e2:reply']);
    expect(await store.claimSms(2_001, 60_000)).toBeNull();
    // A sender that died holding it: after the lease, another takes it.
    expect((await store.claimSms(62_001, 60_000))?.id).toBe(first!.id);
    expect(await store.claimSms(62_001, 60_000)).toMatchObject({ id: second!.id, state: 'sending' });
  });

  it('waits until a requeued message is due', async () => {
    const [m, other] = await store.smsMessages();
    await store.updateSms(other!.id, { state: 'sent' }, 100_000);
    await store.updateSms(m!.id, { state: 'queued', nextAt: 500_000, reason: 'throttled' }, 100_000);
    expect(await store.claimSms(499_999, 60_000)).toBeNull();
    expect((await store.claimSms(500_000, 60_000))?.id).toBe(m!.id);
  });

  it('matches receipts to the parts the SMSC accepted', async () => {
    const [m] = await store.smsMessages();
    await store.smsPartSent(m!.id, 1, 'smsc-1', 3_000);
    await store.smsPartSent(m!.id, 2, 'smsc-2', 3_000);
    await store.updateSms(m!.id, { state: 'sent', parts: 2, sentParts: 2, forget: true }, 3_000);
    expect(await store.smsReceipt('nobody', 'delivered', null, 3_100)).toBeNull();
    const got = await store.smsReceipt('smsc-2', 'failed', 'EXPIRED', 3_100);
    expect(got?.message).toMatchObject({ id: m!.id, state: 'sent', parts: 2 });
    expect(got?.parts).toEqual([
      { seq: 1, state: 'sent', reason: null },
      { seq: 2, state: 'failed', reason: 'EXPIRED' },
    ]);
  });

  it('keeps an opt-out once, and takes it back', async () => {
    expect(await store.smsOptOut('h1', 1)).toBe(true);
    expect(await store.smsOptOut('h1', 2)).toBe(false);
    expect(await store.smsOptedOut('h1')).toBe(true);
    expect(await store.smsOptIn('h1')).toBe(true);
    expect(await store.smsOptedOut('h1')).toBe(false);
  });
});
