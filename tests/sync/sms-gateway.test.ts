import 'fake-indexeddb/auto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PDU } from 'smpp';
import type { RunningServer } from '../../server/app';
import { startServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { ESME_RTHROTTLED } from '../../server/sms/status';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { showEvalCode } from '../../src/core/evalcode';
import type { AppealEvent } from '../../src/core/events';
import type { AppealProjection } from '../../src/core/projection';
import { device, login, until, type Device } from '../helpers/clients';
import { seen, step } from '../helpers/appeal-steps';
import { onPostgres, PG_URL, startTestServer, tempDir } from '../helpers/server';
import { dropPgSchema, openPgStore } from '../../server/store/postgres';
import { bodyOf, gatewayEnv, SERVICE, startFakeSmsc, type FakeSmsc } from '../helpers/smsc';
import { tapLog } from '../../server/log';

// Replies by SMS through a real SMPP session: the server binds to an SMSC on loopback (the
// smpp package's own server), takes in a citizen's SMS as an appeal and answers with its code
// in UCS-2 parts with concatenation headers; the dispatcher's reply goes back by SMS with a
// rating request; receipts land on the timeline; TD stops it all; throttling and a vanished
// SMSC only delay messages, which wait in the outbox until they can go.

const CITIZEN = '13900001111';
const env = (smsc: FakeSmsc, over: Record<string, string> = {}) => ({
  MINSHENG_SCAN_INTERVAL_MS: '0',
  ...gatewayEnv(smsc),
  MINSHENG_SMPP_ENQUIRE_MS: '200',
  MINSHENG_SMPP_RATE: '200',
  ...over,
});

/** The sms events on an appeal's timeline, as every device will read them. */
async function smsEvents(server: RunningServer, id: string): Promise<Extract<AppealEvent, { type: 'sms' }>[]> {
  const doc = docFromUpdates(await server.store.docParts(id));
  const events = readAppeal(doc, id).events as AppealEvent[];
  doc.destroy();
  return events.filter((e): e is Extract<AppealEvent, { type: 'sms' }> => e.type === 'sms');
}

const submitsTo = (smsc: FakeSmsc, number: string) => smsc.of('submit_sm').filter((p) => p.destination_addr === number);
const smsAppeals = async (server: RunningServer) => (await server.store.appealRows()).filter((a) => a.channel === 'sms');
/** The octets of a short_message the SMSC received, header included (UCS-2: two per UTF-16 unit). */
const octets = (pdu: PDU) => {
  const { udh, text } = bodyOf(pdu);
  return (udh.length ? 1 + udh.reduce((n, e) => n + e.length, 0) : 0) + (pdu.data_coding === 8 ? text.length * 2 : text.length);
};

const logged: string[] = [];
let untap: () => void = () => undefined;
beforeAll(() => {
  untap = tapLog((line) => logged.push(line));
  for (const level of ['log', 'warn', 'error'] as const) {
    const original = console[level];
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
      original(...args);
    });
  }
});
afterAll(() => {
  untap();
  vi.restoreAllMocks();
});

describe('without MINSHENG_SMPP_URL', () => {
  it('the channel is off and nothing connects to any SMSC', async () => {
    const smsc = await startFakeSmsc();
    const server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
    try {
      expect(server.sms).toBeNull();
      // Everything the server does at start is done: no session ever reached the SMSC.
      expect(smsc.received).toEqual([]);
      expect(smsc.sessions()).toBe(0);
    } finally {
      await server.close();
      await smsc.stop();
    }
  });
});

describe('the SMPP gateway', () => {
  let smsc: FakeSmsc;
  let server: RunningServer;
  let dispatcher: Device;
  let appeal: AppealProjection;

  beforeAll(async () => {
    smsc = await startFakeSmsc();
    server = await startTestServer(env(smsc));
    dispatcher = await device(server, await login(server, 'dispatcher'));
    dispatcher.engine.start();
  });
  afterAll(async () => {
    dispatcher?.close();
    await server?.close();
    await smsc?.stop();
  });
  afterEach(() => {
    smsc.answer = () => 0;
  });

  it('binds as a transceiver with the configured account and keeps the link alive', async () => {
    await until(() => smsc.sessions() === 1, 10_000, 'a bind');
    const [bind] = smsc.of('bind_transceiver');
    expect(bind).toMatchObject({ system_id: 'minsheng', password: 'secret1', interface_version: 0x34 });
    await until(() => smsc.of('enquire_link').length > 0, 10_000, 'an enquire_link');
  });

  it('takes in an SMS to the service number as an appeal, and answers with its code in UCS-2 parts', async () => {
    const text = '卞庄街道东关村路灯坏了好几天，晚上出行不安全，请尽快修理';
    const resp = await smsc.deliver({ source_addr: `86${CITIZEN}`, destination_addr: SERVICE, short_message: text, data_coding: 8 });
    expect(resp.command_status).toBe(0);
    // Acked only once taken in: the appeal exists when the SMSC hears back.
    const rows = await smsAppeals(server);
    expect(rows).toHaveLength(1);
    appeal = rows[0]!;
    expect(appeal).toMatchObject({ channel: 'sms', status: 'new' });
    expect(await server.store.contact(appeal.id)).toEqual({ phone: CITIZEN });

    await until(async () => (await smsEvents(server, appeal.id)).some((e) => e.status === 'sent'), 10_000, 'the code sent');
    const parts = submitsTo(smsc, CITIZEN);
    expect(parts.length).toBe(2);
    const joined = parts.map((p) => bodyOf(p).text).join('');
    expect(joined).toContain(showEvalCode(appeal.evalCode!));
    expect(joined).toContain(`https://ms.example.cn/p/c/${appeal.evalCode}`);
    const ref = bodyOf(parts[0]!).udh[0]![2];
    parts.forEach((p, i) => {
      expect(p).toMatchObject({ source_addr: SERVICE, data_coding: 8, registered_delivery: 1 });
      expect(Number(p.esm_class) & 0x40).toBe(0x40);
      // IEI 0x00 (8-bit reference), 3 octets: reference, total, this part's place.
      expect(bodyOf(p).udh).toEqual([[0x00, 0x03, ref, 2, i + 1]]);
      expect(octets(p)).toBeLessThanOrEqual(140);
    });
    expect(bodyOf(parts[0]!).text).toHaveLength(67);
    expect((await smsEvents(server, appeal.id)).map((e) => [e.purpose, e.status, e.parts ?? null])).toEqual([['code', 'queued', null], ['code', 'sent', 2]]);
  });

  it('records delivery receipts on the timeline, not as appeals', async () => {
    const ids = submitsTo(smsc, CITIZEN).map((p) => p);
    expect(ids).toHaveLength(2);
    const [message] = await server.store.smsMessages(appeal.id);
    // The SMSC's ids, as its submit_sm_resp gave them (m1, m2…), in the order the parts went.
    for (const id of ['m1', 'm2']) {
      const resp = await smsc.deliver({ source_addr: CITIZEN, destination_addr: SERVICE, esm_class: 0x04, short_message: `id:${id} sub:001 dlvrd:001 submit date:2611301200 done date:2611301201 stat:DELIVRD err:000 text:` });
      expect(resp.command_status).toBe(0);
    }
    expect(await smsAppeals(server)).toHaveLength(1);
    expect((await smsEvents(server, appeal.id)).at(-1)).toMatchObject({ type: 'sms', message: message!.id, purpose: 'code', status: 'delivered' });
    expect(await server.store.smsMessage(message!.id)).toMatchObject({ state: 'delivered', phone: null });
  });

  it('sends the reply and a rating request back by SMS when the dispatcher answers in the app', async () => {
    await seen(dispatcher, appeal.id, (s) => s.status === 'new', 'the SMS appeal');
    await step(dispatcher, appeal.id, { type: 'accepted' });
    await step(dispatcher, appeal.id, { type: 'assigned', to: 'county', from: 'county' });
    const before = submitsTo(smsc, CITIZEN).length;
    await step(dispatcher, appeal.id, { type: 'replied', note: '东关村路灯已于今日更换，感谢您的反映。', via: 'sms' });
    await until(async () => (await smsEvents(server, appeal.id)).filter((e) => e.status === 'sent').length === 3, 10_000, 'reply and visit sent');
    const texts = submitsTo(smsc, CITIZEN).slice(before).map((p) => bodyOf(p).text).join('');
    expect(texts).toContain('东关村路灯已于今日更换');
    expect(texts).toContain(`请对您的诉求（评价码 ${showEvalCode(appeal.evalCode!)}）的办理结果评价：https://ms.example.cn/p/c/${appeal.evalCode}`);
    // The dispatcher's device syncs the gateway's events like any other: the timeline shows them.
    await seen(dispatcher, appeal.id, (s) => s.status === 'replied', 'the reply');
  });

  it('marks a message failed, with the reason, when its receipt says it never arrived', async () => {
    const visit = (await server.store.smsMessages(appeal.id)).find((m) => m.purpose === 'visit')!;
    const parts = await server.store.smsParts(visit.id);
    expect(parts.length).toBeGreaterThan(0);
    // A receipt as some SMSCs send it: the id and state in TLVs, no text.
    const id = `m${smsc.of('submit_sm').indexOf(submitsTo(smsc, CITIZEN).find((p) => bodyOf(p).text.includes('请对您的诉求'))!) + 1}`;
    await smsc.deliver({ source_addr: CITIZEN, destination_addr: SERVICE, esm_class: 0x04, receipted_message_id: id, message_state: 5, short_message: `id:${id} stat:UNDELIV err:011` });
    await until(async () => (await server.store.smsMessage(visit.id))?.state === 'failed', 10_000, 'the visit failed');
    expect((await smsEvents(server, appeal.id)).at(-1)).toMatchObject({ purpose: 'visit', status: 'failed', reason: 'UNDELIV (err 011)' });
  });

  it('stops every message to a number that answers TD, confirming once', async () => {
    const before = submitsTo(smsc, CITIZEN).length;
    expect((await smsc.deliver({ source_addr: CITIZEN, destination_addr: SERVICE, short_message: 'TD' })).command_status).toBe(0);
    await until(() => submitsTo(smsc, CITIZEN).length === before + 1, 10_000, 'the confirmation');
    expect(bodyOf(submitsTo(smsc, CITIZEN).at(-1)!).text).toContain('您已退订');
    // A second TD changes nothing: no second confirmation is even queued.
    expect((await smsc.deliver({ source_addr: CITIZEN, destination_addr: SERVICE, short_message: 'td' })).command_status).toBe(0);
    expect((await server.store.smsMessages()).filter((m) => m.purpose === 'opt_out')).toHaveLength(1);
    expect(await smsAppeals(server)).toHaveLength(1);

    // The appeal is reopened and answered again: nothing goes to the number, and the timeline says why.
    await step(dispatcher, appeal.id, { type: 'visited', satisfaction: 'unsatisfied', note: '群众电话反映仍有一盏不亮' });
    await step(dispatcher, appeal.id, { type: 'reopened', reason: '仍有一盏路灯不亮' });
    await step(dispatcher, appeal.id, { type: 'replied', note: '最后一盏路灯已修好。', via: 'sms' });
    await until(async () => (await smsEvents(server, appeal.id)).filter((e) => e.reason === 'opted_out').length === 2, 10_000, 'both refused');
    expect(submitsTo(smsc, CITIZEN).length).toBe(before + 1);
    // The list keeps no number, only its keyed hash; the confirmation forgot the number once sent.
    expect((await server.store.smsMessages()).every((m) => m.phone === null)).toBe(true);
    expect(await server.store.smsOptedOut(CITIZEN)).toBe(false);
  });

  it('slows down and retries when the SMSC throttles, with the same concatenation reference', async () => {
    const other = '13900002222';
    let throttled = 0;
    smsc.answer = (pdu) => (pdu.destination_addr === other && throttled++ < 2 ? ESME_RTHROTTLED : 0);
    await smsc.deliver({ source_addr: other, destination_addr: SERVICE, short_message: '黄庄村自来水停了三天了，什么时候能恢复？', data_coding: 8 });
    const id = (await smsAppeals(server)).find((a) => a.id !== appeal.id)!.id;
    await until(async () => (await smsEvents(server, id)).some((e) => e.status === 'sent'), 15_000, 'sent after throttling');
    const attempts = submitsTo(smsc, other);
    // Two refused tries of part 1, then both parts.
    expect(attempts.map((p) => bodyOf(p).udh[0]![4])).toEqual([1, 1, 1, 2]);
    expect(new Set(attempts.map((p) => bodyOf(p).udh[0]![2])).size).toBe(1);
    expect(server.sms!.status().link).toBe('bound');
  });

  it('keeps messages through an SMSC outage, reconnects and drains the outbox', async () => {
    const other = '13900003333';
    const known = new Set((await smsAppeals(server)).map((a) => a.id));
    await smsc.deliver({ source_addr: other, destination_addr: SERVICE, short_message: '请问新农合报销需要什么材料', data_coding: 8 });
    const id = (await smsAppeals(server)).find((a) => !known.has(a.id))!.id;
    await until(async () => (await smsEvents(server, id)).some((e) => e.status === 'sent'), 10_000, 'code sent');
    const binds = smsc.of('bind_transceiver').length;
    await smsc.stop();
    await until(() => server.sms!.status().link !== 'bound', 10_000, 'the link noticed');

    await seen(dispatcher, id, (s) => s.status === 'new', 'the second appeal');
    await step(dispatcher, id, { type: 'accepted' });
    await step(dispatcher, id, { type: 'assigned', to: 'county', from: 'county' });
    await step(dispatcher, id, { type: 'replied', note: '携带身份证、医保卡、住院发票到镇卫生院窗口办理。', via: 'sms' });
    await until(async () => (await smsEvents(server, id)).filter((e) => e.status === 'queued').length === 3, 10_000, 'queued while down');
    const queuedWhileDown = submitsTo(smsc, other).length;

    await smsc.restart();
    await until(() => smsc.of('bind_transceiver').length === binds + 1, 15_000, 'a new bind');
    await until(async () => (await smsEvents(server, id)).filter((e) => e.status === 'sent').length === 3, 15_000, 'the outbox drained');
    expect(submitsTo(smsc, other).length).toBeGreaterThan(queuedWhileDown);
    expect(submitsTo(smsc, other).map((p) => bodyOf(p).text).join('')).toContain('携带身份证');
  });

  it('never writes a citizen’s number to the log', () => {
    expect(logged.join('\n')).not.toMatch(/1390000\d{4}/);
  });
});

describe('a restart with messages still in the outbox', () => {
  it('sends them once the new process binds', async () => {
    const smsc = await startFakeSmsc();
    // The SMSC refuses every submit for now: the code stays queued.
    smsc.answer = () => ESME_RTHROTTLED;
    const dir = tempDir();
    const config = loadConfig({ PORT: '0', MINSHENG_STATIC_DIR: '', MINSHENG_DEMO: '0', MINSHENG_DATA_DIR: dir, ...env(smsc) });
    // The store outlives the first process, on whichever database this run tests.
    const schema = `t_${process.pid}_sms_restart`;
    const store = onPostgres() ? await openPgStore(PG_URL, schema) : undefined;
    const first = await startServer(config, store);
    await until(() => smsc.sessions() === 1, 10_000, 'a bind');
    await smsc.deliver({ source_addr: '13900004444', destination_addr: SERVICE, short_message: '村里垃圾没人清运', data_coding: 8 });
    const [row] = await smsAppeals(first);
    await until(async () => (await first.store.smsMessages(row!.id)).some((m) => m.reason?.startsWith('throttled')), 10_000, 'throttled');
    // Gone as a killed process goes: its store is left as it was, for the next one to open.
    await first.crash();
    smsc.answer = () => 0;
    const next = await startServer(config, first.store);
    try {
      await until(async () => (await next.store.smsMessages(row!.id))[0]?.state === 'sent', 15_000, 'sent by the new process');
      expect(submitsTo(smsc, '13900004444').length).toBeGreaterThanOrEqual(1);
    } finally {
      await next.close();
      await smsc.stop();
      if (onPostgres()) await dropPgSchema(PG_URL, schema);
    }
  });
});

describe('per-number limits', () => {
  it('hold back a message to a number that has had its hour’s share, without losing it', async () => {
    const smsc = await startFakeSmsc();
    const server = await startTestServer(env(smsc, { MINSHENG_SMPP_PER_NUMBER_HOUR: '1' }));
    try {
      await until(() => smsc.sessions() === 1, 10_000, 'a bind');
      await smsc.deliver({ source_addr: '13900005555', destination_addr: SERVICE, short_message: '路面塌陷', data_coding: 8 });
      await smsc.deliver({ source_addr: '13900005555', destination_addr: SERVICE, short_message: '桥栏杆断了', data_coding: 8 });
      await until(async () => (await server.store.smsMessages()).some((m) => m.reason === 'rate_limited'), 10_000, 'the second held back');
      const messages = await server.store.smsMessages();
      expect(messages.map((m) => m.state).sort()).toEqual(['queued', 'sent']);
      expect(new Set(submitsTo(smsc, '13900005555').map((p) => bodyOf(p).udh[0]?.[2])).size).toBe(1);
    } finally {
      await server.close();
      await smsc.stop();
    }
  });

  it('take in only so many appeals a day from one number, and only what was sent to the service number', async () => {
    const smsc = await startFakeSmsc();
    const server = await startTestServer(env(smsc, { MINSHENG_SMPP_INBOUND_PER_NUMBER_DAY: '1' }));
    try {
      await until(() => smsc.sessions() === 1, 10_000, 'a bind');
      expect((await smsc.deliver({ source_addr: '13900007777', destination_addr: '10086', short_message: '发错号码了', data_coding: 8 })).command_status).toBe(0);
      expect(await smsAppeals(server)).toHaveLength(0);
      await smsc.deliver({ source_addr: '13900007777', destination_addr: `${SERVICE}01`, short_message: '村口水井坏了', data_coding: 8 });
      expect(await smsAppeals(server)).toHaveLength(1);
      // Acknowledged (the SMSC must not resend it) but not taken in.
      expect((await smsc.deliver({ source_addr: '13900007777', destination_addr: SERVICE, short_message: '再说一遍水井的事', data_coding: 8 })).command_status).toBe(0);
      expect(await smsAppeals(server)).toHaveLength(1);
      // Another number is not held back by it.
      await smsc.deliver({ source_addr: '13900008888', destination_addr: SERVICE, short_message: 'TD', data_coding: 0 });
      await smsc.deliver({ source_addr: '13900008888', destination_addr: SERVICE, short_message: '我又有新的诉求：路灯不亮', data_coding: 8 });
      expect(await smsAppeals(server)).toHaveLength(2);
      // Writing in again after TD is asking for answers again: its code is sent.
      await until(async () => (await server.store.smsMessages()).filter((m) => m.purpose === 'code' && ['sent', 'failed'].includes(m.state)).length === 2, 10_000, 'both codes tried');
      expect((await server.store.smsMessages()).filter((m) => m.purpose === 'code').map((m) => m.state)).toEqual(['sent', 'sent']);
    } finally {
      await server.close();
      await smsc.stop();
    }
  });

  it('put a long SMS in several parts back together as one appeal', async () => {
    const smsc = await startFakeSmsc();
    const server = await startTestServer(env(smsc));
    try {
      await until(() => smsc.sessions() === 1, 10_000, 'a bind');
      const first = '我们村的排水沟堵了很久，';
      const second = '下雨就淹到家门口，请派人疏通。';
      for (const [seq, message] of [[1, first], [2, second]] as const) {
        await smsc.deliver({ source_addr: '13900006666', destination_addr: SERVICE, data_coding: 8, short_message: { udh: Buffer.from([0x05, 0x00, 0x03, 0x2a, 2, seq]), message } });
      }
      const rows = await smsAppeals(server);
      expect(rows).toHaveLength(1);
      expect(await readDescription(server, rows[0]!.id)).toBe(first + second);
    } finally {
      await server.close();
      await smsc.stop();
    }
  });
});

async function readDescription(server: RunningServer, id: string): Promise<string> {
  const doc = docFromUpdates(await server.store.docParts(id));
  const d = readAppeal(doc, id).description;
  doc.destroy();
  return d;
}
