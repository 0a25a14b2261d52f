import { encodeSms } from '../../src/core/sms';
import { createWindowCounter } from '../net/ratelimit';
import type { OutboxSms } from '../store/types';
import type { SmppConfig } from './config';
import { LinkDown, type SmppLink } from './link';
import type { NumberHasher } from './numbers';
import { settle, type OutboxDeps } from './outbox';
import { ESM_UDHI, SLOW_DOWN, TRANSIENT } from './status';
import { noteSms } from './timeline';
import { log } from '../log';

// Drains the outbox while the link is bound: one message at a time, its parts in order,
// paced to the SMSC's rate, each number limited per hour. Throttling from the SMSC slows the
// pace and retries later; a link that drops leaves the message queued where it stopped (parts
// already accepted are not sent again), and the drain resumes when the link is bound again.

/** How long a claimed message is ours before another instance may take it (a crash mid-send). */
const LEASE_MS = 2 * 60_000;
const MAX_PAUSE_MS = 60_000;

export interface SenderDeps extends OutboxDeps {
  config: SmppConfig;
  link: () => SmppLink | null;
  numbers: NumberHasher;
  /** Runs `fn` after whatever else was queued under `key` (one message's writes stay in order). */
  serial<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export interface Sender {
  /** Looks for due messages now (after a commit queued one, or the link came up). */
  kick(): void;
  stop(): Promise<void>;
  /** How many times the SMSC has asked us to slow down in a row (0 when it is happy). */
  slowness(): number;
}

export function startSender(d: SenderDeps): Sender {
  const perNumber = createWindowCounter({ max: d.config.perNumberPerHour, windowMs: 3_600_000 });
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let slow = 0;
  let pausedUntil = 0;
  let lastSubmit = 0;
  // Retries come due by time, not by any event: look again now and then.
  const poll = setInterval(() => kick(), Math.min(1_000, d.config.retryMs));
  poll.unref();

  const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
  /** Waits for the submit slot: the SMSC's rate, halved for each throttling in a row. */
  async function pace(): Promise<void> {
    const gap = (1_000 / d.config.ratePerSecond) * 2 ** Math.min(slow, 6);
    const ready = Math.max(lastSubmit + gap, pausedUntil);
    if (ready > Date.now()) await wait(ready - Date.now());
    lastSubmit = Date.now();
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain().finally(() => {
      running = null;
      if (again && !stopped) {
        again = false;
        kick();
      }
    });
  }

  async function drain(): Promise<void> {
    try {
      while (!stopped && d.link()?.state() === 'bound' && Date.now() >= pausedUntil) {
        const m = await d.store.claimSms(Date.now(), LEASE_MS);
        if (!m) return;
        await d.serial(m.id, () => send(m));
      }
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'sms: the outbox could not be drained');
    }
  }

  const requeue = (m: OutboxSms, nextAt: number, reason: string, change: { attempts?: number; sentParts?: number; parts?: number } = {}) =>
    d.store.updateSms(m.id, { state: 'queued', nextAt, reason, ...change }, Date.now());

  async function fail(m: OutboxSms, reason: string, parts?: number): Promise<void> {
    await d.store.updateSms(m.id, { state: 'failed', reason, forget: true, ...(parts !== undefined && { parts }) }, Date.now());
    if (m.appealId) await noteSms(d, m.appealId, m.id, m.purpose, 'failed', { reason });
    log.warn({ message: m.id, purpose: m.purpose, reason }, 'sms: message failed');
  }

  async function send(m: OutboxSms): Promise<void> {
    const phone = m.phone ?? (m.appealId ? ((await d.store.contact(m.appealId))?.phone ?? null) : null);
    if (!phone) return fail(m, 'no_number');
    const hash = d.numbers.hash(phone);
    // The opt-out confirmation is the one message an opted-out number still gets.
    if (m.purpose !== 'opt_out' && (await d.store.smsOptedOut(hash))) return fail(m, 'opted_out');
    if (m.sentParts === 0) {
      const blocked = perNumber.blockedFor(hash);
      if (blocked > 0) return requeue(m, Date.now() + blocked, 'rate_limited');
      perNumber.hit(hash);
    }
    const encoded = encodeSms(m.body, m.ref);
    const total = encoded.parts.length;
    let sent = m.sentParts;
    while (sent < total) {
      const link = d.link();
      if (!link || stopped) return requeue(m, Date.now(), 'link_down', { sentParts: sent, parts: total });
      await pace();
      let resp;
      try {
        resp = await link.submit({
          source_addr_ton: 0,
          source_addr_npi: 0,
          source_addr: d.config.sourceAddr,
          dest_addr_ton: 0,
          dest_addr_npi: 1,
          destination_addr: phone,
          esm_class: encoded.udh ? ESM_UDHI : 0,
          registered_delivery: 1,
          data_coding: encoded.dataCoding,
          short_message: Buffer.from(encoded.parts[sent]!),
        });
      } catch (err) {
        if (err instanceof LinkDown) return requeue(m, Date.now(), 'link_down', { sentParts: sent, parts: total });
        throw err;
      }
      const status = resp.command_status;
      if (status === 0) {
        slow = Math.max(0, slow - 1);
        sent++;
        await d.store.smsPartSent(m.id, sent, String(resp.message_id ?? ''), Date.now());
        await d.store.updateSms(m.id, { sentParts: sent, parts: total }, Date.now());
        continue;
      }
      const code = `0x${status.toString(16).padStart(2, '0')}`;
      if (SLOW_DOWN.has(status)) {
        slow++;
        pausedUntil = Date.now() + Math.min(MAX_PAUSE_MS, d.config.retryMs * 2 ** Math.min(slow - 1, 10));
        log.warn({ status: code, until: new Date(pausedUntil).toISOString() }, 'sms: the SMSC asks us to slow down; pausing');
        return requeue(m, pausedUntil, `throttled (${code})`, { sentParts: sent, parts: total });
      }
      if (TRANSIENT.has(status) && m.attempts + 1 < d.config.maxAttempts) {
        return requeue(m, Date.now() + Math.min(MAX_PAUSE_MS, d.config.retryMs * 2 ** Math.min(m.attempts, 10)), `smsc_error (${code})`, { attempts: m.attempts + 1, sentParts: sent, parts: total });
      }
      return fail(m, `smsc_refused (${code})`, total);
    }
    await d.store.updateSms(m.id, { state: 'sent', reason: null, sentParts: total, parts: total, forget: true }, Date.now());
    if (m.appealId) await noteSms(d, m.appealId, m.id, m.purpose, 'sent', { parts: total });
    // Receipts may have come in while the last part's answer was on its way.
    await settle(d, { ...m, state: 'sent', parts: total, sentParts: total });
  }

  return {
    kick,
    slowness: () => slow,
    async stop() {
      stopped = true;
      clearInterval(poll);
      await running;
    },
  };
}
