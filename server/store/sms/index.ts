import type { Sql } from '../sql';
import type { OutboxSms, OutboxState, SmsPartState, SmsStore } from './contract';
import type { SmsPurpose } from '../../../src/core/sms';

// Numbers come back as NUMERIC text from PostgreSQL's BIGINT: read them through Number().
function smsFromRow(r: Record<string, unknown>): OutboxSms {
  return {
    id: r.id as string,
    dedupe: r.dedupe as string,
    appealId: (r.appeal_id as string | null) ?? null,
    purpose: r.purpose as SmsPurpose,
    body: r.body as string,
    phone: (r.phone as string | null) ?? null,
    ref: Number(r.ref),
    parts: Number(r.parts),
    sentParts: Number(r.sent_parts),
    state: r.state as OutboxState,
    reason: (r.reason as string | null) ?? null,
    attempts: Number(r.attempts),
    nextAt: Number(r.next_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

const partFromRow = (p: Record<string, unknown>): SmsPartState => ({ seq: Number(p.seq), state: p.state as SmsPartState['state'], reason: (p.reason as string | null) ?? null });

const DUE = "((state = 'queued' AND next_at <= ?) OR (state = 'sending' AND claimed_until < ?))";

export function smsStore(sql: Sql): SmsStore {
  const one = async (id: string) => {
    const r = await sql.get<Record<string, unknown>>('SELECT * FROM sms_outbox WHERE id = ?', [id]);
    return r ? smsFromRow(r) : null;
  };
  return {
    queueSms: async (m, now) =>
      (await sql.run(
        `INSERT INTO sms_outbox (id, dedupe, appeal_id, purpose, body, phone, ref, state, next_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?) ON CONFLICT (dedupe) DO NOTHING`,
        [m.id, m.dedupe, m.appealId, m.purpose, m.body, m.phone, m.ref, now, now, now],
      )) === 1,
    claimSms: async (now, leaseMs) => {
      // Another instance may claim the same row between the read and the update: the update's
      // condition lets only one win, and the loser looks again.
      for (let tries = 0; tries < 5; tries++) {
        const row = await sql.get<{ id: string }>(`SELECT id FROM sms_outbox WHERE ${DUE} ORDER BY next_at, id LIMIT 1`, [now, now]);
        if (!row) return null;
        const won = await sql.run(`UPDATE sms_outbox SET state = 'sending', claimed_until = ?, updated_at = ? WHERE id = ? AND ${DUE}`, [now + leaseMs, now, row.id, now, now]);
        if (won === 1) return one(row.id);
      }
      return null;
    },
    updateSms: async (id, c, now) => {
      const sets: string[] = ['updated_at = ?'];
      const args: unknown[] = [now];
      const set = (column: string, value: unknown) => {
        sets.push(`${column} = ?`);
        args.push(value);
      };
      if (c.state !== undefined) set('state', c.state);
      if (c.state !== undefined && c.state !== 'sending') set('claimed_until', null);
      if (c.reason !== undefined) set('reason', c.reason);
      if (c.parts !== undefined) set('parts', c.parts);
      if (c.sentParts !== undefined) set('sent_parts', c.sentParts);
      if (c.attempts !== undefined) set('attempts', c.attempts);
      if (c.nextAt !== undefined) set('next_at', c.nextAt);
      if (c.forget) set('phone', null);
      await sql.run(`UPDATE sms_outbox SET ${sets.join(', ')} WHERE id = ?`, [...args, id]);
    },
    smsPartSent: async (outboxId, seq, smscId, now) =>
      void (await sql.run(
        `INSERT INTO sms_parts (smsc_id, outbox_id, seq, state, at) VALUES (?, ?, ?, 'sent', ?)
         ON CONFLICT (smsc_id) DO UPDATE SET outbox_id = excluded.outbox_id, seq = excluded.seq, state = 'sent', reason = NULL, at = excluded.at`,
        [smscId, outboxId, seq, now],
      )),
    smsReceipt: async (smscId, state, reason, now) =>
      sql.transaction(async (tx) => {
        const part = await tx.get<{ outbox_id: string }>('SELECT outbox_id FROM sms_parts WHERE smsc_id = ?', [smscId]);
        if (!part) return null;
        await tx.run('UPDATE sms_parts SET state = ?, reason = ?, at = ? WHERE smsc_id = ?', [state, reason, now, smscId]);
        const row = await tx.get<Record<string, unknown>>('SELECT * FROM sms_outbox WHERE id = ?', [part.outbox_id]);
        if (!row) return null;
        const parts = await tx.all<Record<string, unknown>>('SELECT seq, state, reason FROM sms_parts WHERE outbox_id = ? ORDER BY seq', [part.outbox_id]);
        return { message: smsFromRow(row), parts: parts.map(partFromRow) };
      }),
    smsParts: async (outboxId) =>
      (await sql.all<Record<string, unknown>>('SELECT seq, state, reason FROM sms_parts WHERE outbox_id = ? ORDER BY seq', [outboxId])).map(partFromRow),
    smsMessage: one,
    smsMessages: async (appealId) =>
      (appealId === undefined
        ? await sql.all<Record<string, unknown>>('SELECT * FROM sms_outbox ORDER BY created_at, id')
        : await sql.all<Record<string, unknown>>('SELECT * FROM sms_outbox WHERE appeal_id = ? ORDER BY created_at, id', [appealId])
      ).map(smsFromRow),
    smsOptOut: async (hash, now) => (await sql.run('INSERT INTO sms_optouts (number_hash, created_at) VALUES (?, ?) ON CONFLICT (number_hash) DO NOTHING', [hash, now])) === 1,
    smsOptIn: async (hash) => (await sql.run('DELETE FROM sms_optouts WHERE number_hash = ?', [hash])) === 1,
    smsOptedOut: async (hash) => (await sql.get<{ n: number }>('SELECT 1 AS n FROM sms_optouts WHERE number_hash = ?', [hash])) !== undefined,
  };
}
