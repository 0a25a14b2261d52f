import { validateAppealInput, type AppealInput } from '../../src/core/appeal';
import { classify } from '../../src/core/classify';
import { MAX_DESCRIPTION_CHARS } from '../../src/core/limits';
import { placeNamed } from '../../src/core/nearest-place';
import { defaultPolicy, type Policies } from '../../src/core/policy-book';
import { isOptOut, receiptOutcome } from '../../src/core/sms';
import { topDeskRole } from '../../src/core/workflow';
import type { Role } from '../../src/core/roles';
import type { Open311Places } from '../http/open311-places';
import { createWindowCounter } from '../net/ratelimit';
import { recordOnServer } from '../services/intake';
import { keywordsOf } from '../services/settings';
import type { Store } from '../store/types';
import type { CommitBus } from '../sync/bus';
import type { SmppConfig } from './config';
import { createReader } from './inbound';
import { openSmppLink, type LinkState, type SmppLink } from './link';
import { numberHasher } from './numbers';
import { queueOptOutConfirmation, queueOwed, settle, type OutboxDeps } from './outbox';
import { startSender } from './sender';
import { ESME_ROK } from './status';
import { SMS_DEVICE } from './timeline';
import { log } from '../log';

// Replies by SMS (按原信息收集渠道反馈, issue 29): the SMPP gateway. An SMS to the service
// number becomes an appeal on the `sms` channel, filed at the top desk for a dispatcher to
// place (at the named village's county desk when the text names one), and is answered with
// its evaluation code; the appeal's answers and return-visit requests go back by SMS; delivery
// receipts land on its timeline; "TD" stops messages to the number. Messages wait in a durable
// outbox (server/store/sms), so neither a restart nor an SMSC outage loses one.

export interface SmsGatewayDeps {
  store: Store;
  bus: CommitBus;
  policy: Policies;
  config: SmppConfig;
  where: Open311Places;
}

export interface SmsGateway {
  status(): { link: LinkState; slowness: number };
  stop(): Promise<void>;
}

/** How long an unknown receipt waits for its submit's answer to be recorded (the SMSC may be quicker than our database). */
const RECEIPT_WAITS = [50, 200, 1_000];

export async function startSmsGateway(deps: SmsGatewayDeps): Promise<SmsGateway> {
  const { store, bus, policy, config, where } = deps;
  const numbers = await numberHasher(store);
  const ctx: OutboxDeps = { store, bus, policy, wording: { signature: config.signature, publicUrl: config.publicUrl } };
  const inbound = createWindowCounter({ max: config.inboundPerNumberPerDay, windowMs: 24 * 3_600_000 });
  const chains = new Map<string, Promise<unknown>>();
  /** One key's work in order: an appeal's queueing, a message's sends and receipts. */
  function serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (chains.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    chains.set(key, tail);
    void tail.then(() => {
      if (chains.get(key) === tail) chains.delete(key);
    });
    return run;
  }
  let link: SmppLink | null = null;
  const sender = startSender({ ...ctx, config, link: () => link, numbers, serial });
  const consider = (appealId: string) =>
    serial(`appeal:${appealId}`, () => queueOwed(ctx, appealId)).then(
      (n) => (n > 0 ? sender.kick() : undefined),
      (err: unknown) => log.error({ appeal: appealId, err: err instanceof Error ? err.message : String(err) }, 'sms: could not queue the messages of an appeal'),
    );

  // Every committed change of an appeal may owe a message (its own `sms` events find nothing new).
  const unsubscribe = bus.subscribe((committed) => {
    for (const c of committed) if (c.holding !== null) void consider(c.docId);
  });
  // What was committed while the gateway was off or down is owed all the same.
  const caughtUp = store.appealRows().then(async (rows) => {
    for (const a of rows) if (a.channel === 'sms') await consider(a.id);
  });

  const top = topDeskRole(defaultPolicy(policy));
  async function takeIn(from: string, text: string): Promise<void> {
    const hash = numbers.hash(from);
    if (isOptOut(text)) {
      // Confirmed once: a second TD from a number already on the list changes nothing.
      if (await store.smsOptOut(hash, Date.now())) {
        await queueOptOutConfirmation(ctx, from, hash);
        sender.kick();
      }
      return;
    }
    const description = text.trim().slice(0, MAX_DESCRIPTION_CHARS);
    if (!description) return;
    if (inbound.blockedFor(hash) > 0) {
      log.warn('sms: a number sent more appeals today than MINSHENG_SMPP_INBOUND_PER_NUMBER_DAY allows; message dropped');
      return;
    }
    inbound.hit(hash);
    // Writing in again is asking for answers again: the number comes off the opt-out list.
    await store.smsOptIn(hash);
    const named = placeNamed(description, where.named);
    const village = named?.level === 'village' ? named.code : named ? where.firstVillage.get(named.code) : where.anyVillage;
    if (!village) throw new Error('this deployment has no village to file an SMS appeal at');
    // A place read from words is confirmed by a person: it waits at its county's desk, or the top desk when none was named.
    const desk: 'county' | 'city' = named ? 'county' : top === 'city_dispatcher' ? 'city' : 'county';
    const category = classify(description, await keywordsOf(store), 1)[0]?.category ?? 'services.other';
    const checked = validateAppealInput({ channel: 'sms', category, kind: 'help', urgency: 'yellow', villageCode: village, description, citizen: { anonymous: true } }, (c) => c === village);
    if (!checked.ok) throw new Error(`an SMS appeal did not validate: ${Object.keys(checked.errors).join(', ')}`);
    const input: AppealInput = { ...checked.value, citizen: { anonymous: false, phone: from } };
    const role: Role = desk === 'city' ? 'city_dispatcher' : 'county_dispatcher';
    // `name` is what timelines show for the recorder (the gateway has no account of its own).
    const { id } = await recordOnServer(store, bus, policy, input, { id: SMS_DEVICE, role, desk, name: '短信平台' } as { id: string; role: Role });
    await consider(id);
  }

  async function receipt(id: string, stat: string, err: string | null): Promise<void> {
    const outcome = receiptOutcome(stat);
    if (!outcome) return;
    const reason = outcome === 'failed' ? `${stat}${err && err !== '000' ? ` (err ${err})` : ''}` : null;
    for (const delay of [0, ...RECEIPT_WAITS]) {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      const found = await store.smsReceipt(id, outcome, reason, Date.now());
      if (!found) continue;
      await serial(found.message.id, async () => {
        const m = await store.smsMessage(found.message.id);
        if (m) await settle(ctx, m);
      });
      return;
    }
    log.warn('sms: a delivery receipt names no message we sent; ignored');
  }

  const read = createReader();
  link = openSmppLink(config, {
    onBound: () => sender.kick(),
    async onDeliver(pdu) {
      const got = read(pdu);
      if (got.kind === 'receipt') await receipt(got.receipt.id, got.receipt.stat, got.receipt.err);
      // Only what was sent to the service number (or an extension of it) is the channel's.
      else if (got.kind === 'text' && got.to.replace(/\D/g, '').startsWith(config.sourceAddr)) await takeIn(got.from, got.text);
      else if (got.kind === 'text') log.warn('sms: a message to another number than MINSHENG_SMPP_SOURCE_ADDR was ignored');
      else if (got.kind === 'ignored') log.warn({ why: got.why }, 'sms: an incoming message was ignored');
      return ESME_ROK;
    },
  });

  return {
    status: () => ({ link: link?.state() ?? 'stopped', slowness: sender.slowness() }),
    async stop() {
      unsubscribe();
      await caughtUp.catch(() => undefined);
      // No new claims; a submit waiting on the link is let go (its message stays queued), then the link unbinds.
      const sending = sender.stop();
      await link?.stop();
      await sending;
      await Promise.allSettled([...chains.values()]);
    },
  };
}
