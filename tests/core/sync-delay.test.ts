import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { KINDS, URGENCIES } from '../../src/core/appeal';
import { DEFAULT_WORKING_HOURS } from '../../src/core/calendar';
import { CLOCK_TOLERANCE_MS, clockOffset } from '../../src/core/clock';
import { deadlineOf, POLICY_PRESETS, PRESET_NAMES } from '../../src/core/deadline';
import { appendEvent, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { weekOf, type RankRow } from '../../src/core/metrics';
import type { AppealProjection } from '../../src/core/projection';
import { decodeServerFrame, encodeFrame, FrameError, type ServerMessage } from '../../src/core/protocol';
import { delayByUnit, receiptOf, syncWait, WAITED_MS, waitMessage, waitParts } from '../../src/core/sync-delay';
import { storeUpdate } from '../../server/sync/bus';
import type { PushTx } from '../../server/store/types';
import { gridWorker, validInput } from './fixtures';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;
const T0 = Date.UTC(2026, 10, 23, 1, 0); // Monday 09:00 China time

describe('the wait on the phone', () => {
  it('is unknown until the server has received the appeal', () => {
    expect(syncWait(T0, null)).toBeNull();
    expect(syncWait(T0, undefined)).toBeNull();
    expect(syncWait(T0, 0)).toBeNull();
    expect(syncWait(T0, T0 + 3 * DAY + 2 * HOUR)).toBe(3 * DAY + 2 * HOUR);
  });

  it('is never negative, whatever the two clocks say', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 * YEAR }), fc.integer({ min: 1, max: 8 * YEAR }), (captured, received) => {
        const wait = syncWait(captured, received)!;
        expect(wait).toBeGreaterThanOrEqual(0);
        expect(wait).toBe(received > captured ? received - captured : 0);
      }),
    );
  });

  // The rule (src/core/sync-delay.ts): capture is stamped with the device clock corrected by the
  // last server time it saw; wait = max(0, received − captured). A corrected phone's wait is off by
  // at most the clock tolerance plus half a round trip; an uncorrected one's is still never negative.
  it('is the true wait within the clock tolerance on a phone whose clock is years off, once corrected', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: T0, max: T0 + YEAR }), // true capture time
        fc.integer({ min: 0, max: 60 * DAY }), // true wait on the phone
        fc.integer({ min: -3 * YEAR, max: 3 * YEAR }), // device clock minus true time
        fc.integer({ min: 0, max: 2_000 }), // round trip of the welcome
        (capture, trueWait, skew, rtt) => {
          // Some time before going offline the phone saw the server's clock in a welcome.
          const welcomeAt = capture - DAY;
          const offset = clockOffset(welcomeAt, welcomeAt + skew - Math.floor(rtt / 2), welcomeAt + skew + Math.ceil(rtt / 2));
          const captured = capture + skew + offset;
          const wait = syncWait(captured, capture + trueWait)!;
          expect(wait).toBeGreaterThanOrEqual(0);
          expect(Math.abs(wait - trueWait)).toBeLessThanOrEqual(CLOCK_TOLERANCE_MS + rtt);
          // A phone that never saw a server: its stamp is its own clock, the wait still not negative.
          expect(syncWait(capture + skew, capture + trueWait)).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });

  it('reads as days and hours, never "0 hours"', () => {
    expect(waitMessage(3 * DAY + 2 * HOUR + 5 * MINUTE)).toEqual({ key: 'delay.span.daysHours', params: { days: 3, hours: 2 } });
    expect(waitMessage(3 * DAY + 30 * MINUTE)).toEqual({ key: 'delay.span.days', params: { days: 3 } });
    expect(waitMessage(5 * HOUR)).toEqual({ key: 'delay.span.hours', params: { hours: 5 } });
    expect(waitMessage(5 * HOUR + 7 * MINUTE)).toEqual({ key: 'delay.span.hoursMinutes', params: { hours: 5, minutes: 7 } });
    expect(waitMessage(20 * MINUTE)).toEqual({ key: 'delay.span.minutes', params: { minutes: 20 } });
    expect(waitMessage(59_999)).toEqual({ key: 'delay.span.atOnce', params: {} });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 * YEAR }), (ms) => {
        const { days, hours, minutes } = waitParts(ms);
        expect(((days * 24 + hours) * 60 + minutes) * MINUTE).toBe(Math.floor(ms / MINUTE) * MINUTE);
        expect(hours).toBeLessThan(24);
        expect(minutes).toBeLessThan(60);
      }),
    );
  });

  it('says "not yet on the server" only for what this phone still has to send', () => {
    expect(receiptOf(T0, T0 + DAY, true)).toEqual({ kind: 'received', waitMs: DAY });
    expect(receiptOf(T0, undefined, true)).toEqual({ kind: 'pending' });
    expect(receiptOf(T0, undefined, false)).toEqual({ kind: 'unknown' });
  });
});

describe('deadlines run from capture', () => {
  /** Stores the document as the server does at `now` and returns the projection it wrote and the receipt it kept. */
  async function storedAt(update: Uint8Array, snapshot: ReturnType<typeof readAppeal>, now: number, policy: (typeof POLICY_PRESETS)[keyof typeof POLICY_PRESETS]) {
    let written: { p: AppealProjection; receivedAt: number } | null = null;
    const tx = new Proxy({} as PushTx, {
      get: (_t, name) =>
        name === 'upsertProjection'
          ? async (p: AppealProjection, _seq: number, receivedAt: number) => void (written = { p, receivedAt })
          : name === 'then'
            ? undefined
            : async () => 1,
    });
    await storeUpdate(tx, { docId: snapshot.id, deviceId: newId(), clientSeq: 1, userId: gridWorker.id, bytes: update }, snapshot, now, policy);
    return written!;
  }

  it('for any wait on the phone, the server sets the same due time as if it had synced at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PRESET_NAMES),
        fc.constantFrom(...KINDS),
        fc.constantFrom(...URGENCIES),
        fc.integer({ min: 0, max: 52 * 7 }), // capture: any day of a year, at any minute
        fc.integer({ min: 0, max: 24 * 60 - 1 }),
        fc.integer({ min: 1, max: 90 * DAY }), // the wait on the phone
        fc.boolean(), // given to the village to handle on the phone too, later, offline
        async (preset, kind, urgency, day, minute, wait, assigned) => {
          const policy = POLICY_PRESETS[preset];
          const captured = T0 + day * DAY + minute * MINUTE;
          const doc = new Y.Doc();
          const id = newId();
          writeNewAppeal(doc, validInput({ kind, urgency }), { id: gridWorker.id, role: gridWorker.role }, captured, newId());
          if (assigned) appendEvent(doc, { id: newId(), type: 'assigned', tier: 'village', actor: gridWorker.id, role: gridWorker.role, at: captured + 10 * MINUTE } as never);
          const snapshot = readAppeal(doc, id);
          const update = Y.encodeStateAsUpdate(doc);
          const atOnce = await storedAt(update, snapshot, captured, policy);
          const late = await storedAt(update, snapshot, captured + wait, policy);
          expect(late.p.dueAt).toBe(atOnce.p.dueAt);
          expect(late.p.createdAt).toBe(captured);
          expect(late.receivedAt).toBe(captured + wait);
          // The running clock started on the phone, not at the server.
          const running = deadlineOf(fold(snapshot.events, id), snapshot.fields as never, policy);
          expect(running?.stage).toBe(assigned ? 'handle' : 'dispatch');
          expect(running!.startedAt).toBe(assigned ? captured + 10 * MINUTE : captured);
          expect(late.p.dueAt).toBe(running!.dueAt);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('the report of waits per unit', () => {
  const row = (over: Partial<RankRow>): RankRow => ({
    id: newId(), town: '371324102000', dept: null, tier: 'village', village: '371324102201', category: 'infra.water', createdAt: T0, repliedAt: null, onTime: null,
    handlingMinutes: null, satisfaction: null, reopenCount: 0, mergedInto: null, returns: 0, reassigns: 0, dispatchMinutes: null, receivedAt: null, ...over,
  });
  const week = weekOf(T0);

  it('counts who waited, the median and longest wait, and handling from capture beside it', () => {
    const rows = [
      row({ receivedAt: T0 + 3 * DAY + 2 * HOUR, repliedAt: T0 + 4 * DAY, handlingMinutes: 4 * 480 }),
      row({ receivedAt: T0 + HOUR }),
      row({ receivedAt: T0 + 30_000 }), // at once: not a wait
      row({ receivedAt: null }), // still on a phone
      row({ village: '371324103201', town: '371324103000', receivedAt: T0 + DAY, repliedAt: T0 + DAY + HOUR, handlingMinutes: 480 }),
      row({ createdAt: T0 - 8 * DAY, receivedAt: T0 - DAY }), // the week before
    ];
    const [a, b] = delayByUnit(rows, (r) => r.town, week, DEFAULT_WORKING_HOURS);
    expect(a).toEqual({ unit: '371324102000', recorded: 4, received: 3, waited: 2, medianWaitHours: (3 * 24 + 2 + 1) / 2, longestWaitHours: 3 * 24 + 2, answered: 1, handlingDays: 4 });
    expect(b).toMatchObject({ unit: '371324103000', recorded: 1, received: 1, waited: 1, medianWaitHours: 24, longestWaitHours: 24, handlingDays: 1 });
  });

  it('keeps median ≤ longest and waited ≤ received ≤ recorded for any rows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ capture: fc.integer({ min: 0, max: 7 * DAY - 1 }), wait: fc.option(fc.integer({ min: -DAY, max: 30 * DAY })), village: fc.constantFrom('371324102201', '371324102202') })),
        (specs) => {
          const rows = specs.map((s) => row({ village: s.village, createdAt: week.from + s.capture, receivedAt: s.wait === null ? null : week.from + s.capture + s.wait }));
          for (const u of delayByUnit(rows, (r) => r.village, week, DEFAULT_WORKING_HOURS)) {
            expect(u.waited).toBeLessThanOrEqual(u.received);
            expect(u.received).toBeLessThanOrEqual(u.recorded);
            if (u.waited === 0) expect(u.medianWaitHours).toBeNull();
            else expect(u.medianWaitHours!).toBeLessThanOrEqual(u.longestWaitHours!);
            if (u.longestWaitHours !== null) expect(u.longestWaitHours * HOUR).toBeGreaterThanOrEqual(WAITED_MS);
          }
        },
      ),
    );
  });
});

describe('receipts on the wire', () => {
  const roundTrip = (m: unknown) => decodeServerFrame(encodeFrame(m as ServerMessage));
  const refused = (m: unknown) => {
    try {
      roundTrip(m);
      return null;
    } catch (err) {
      return err instanceof FrameError ? err.code : String(err);
    }
  };
  const docId = newId();

  it('an ack names the pushes that began their documents, with the server time, once', () => {
    const ack = { t: 'ack', batch: 3, accepted: [7, 8], rejected: [], received: { at: T0, seqs: [7] } };
    expect(roundTrip(ack)).toEqual(ack);
    // A status change's ack carries none: the frame is as before.
    const plain = { t: 'ack', batch: 4, accepted: [9], rejected: [] };
    expect(roundTrip(plain)).toEqual(plain);
    expect(encodeFrame(plain as ServerMessage).byteLength).toBeLessThan(encodeFrame(ack as ServerMessage).byteLength);
  });

  it('a changes item may carry the document’s first receipt', () => {
    const m = { t: 'changes', items: [{ docId, update: new Uint8Array([1, 2]), receivedAt: T0 }], more: false };
    expect(roundTrip(m)).toEqual(m);
  });

  it('refuses a receipt that is not a time', () => {
    const ack = (received: unknown) => ({ t: 'ack', batch: 1, accepted: [1], rejected: [], received });
    expect(refused(ack({ at: -1, seqs: [1] }))).toBe('bad_message');
    expect(refused(ack({ at: 1.5, seqs: [1] }))).toBe('bad_message');
    expect(refused(ack({ at: '2026-11-23', seqs: [1] }))).toBe('bad_message');
    expect(refused(ack({ at: 8_000_000_000_000, seqs: [1] }))).toBe('bad_message');
    expect(refused(ack({ at: T0, seqs: [] }))).toBe('bad_message');
    expect(refused(ack({ at: T0, seqs: [0] }))).toBe('bad_message');
    expect(refused(ack({ at: T0 }))).toBe('bad_message');
    const changes = (receivedAt: unknown) => ({ t: 'changes', items: [{ docId, update: new Uint8Array([1]), receivedAt }], more: false });
    expect(refused(changes(-5))).toBe('bad_message');
    expect(refused(changes('yesterday'))).toBe('bad_message');
    expect(refused(changes(T0))).toBeNull();
  });
});
