import type { AppealSnapshot } from './doc';
import { showEvalCode, evalCodePath } from './evalcode';
import { isAppealEvent } from './events';
import type { AppealState } from './fold';

// Replies by SMS (按原信息收集渠道反馈): what the SMPP gateway (server/sms) sends and how it
// reads what it receives. Pure: texts become the octets of short_message parts here, and
// an appeal's events say which messages it is owed.

/** Why a message is sent: the evaluation code on intake, the answer, the return-visit request with the rating link, the opt-out confirmation. */
export const SMS_PURPOSES = ['code', 'reply', 'visit', 'opt_out'] as const;
export type SmsPurpose = (typeof SMS_PURPOSES)[number];

/** A message's life as the timeline shows it: waiting in the outbox, accepted by the SMSC, on the phone, or given up. */
export const SMS_STATUSES = ['queued', 'sent', 'delivered', 'failed'] as const;
export type SmsStatus = (typeof SMS_STATUSES)[number];

/** SMPP data_coding: the SMSC's default alphabet (GSM 03.38 here) or UCS-2. */
export const DC_GSM = 0;
export const DC_UCS2 = 8;

/** One SMS carries 140 octets; a concatenation header (8-bit reference) takes 6 of them. */
export const SMS_OCTETS = 140;
const UDH_OCTETS = 6;
export const UCS2_SINGLE = 70;
export const UCS2_PART = 67;
export const GSM_SINGLE = 160;
export const GSM_PART = 153;
/** At most this many parts per message: a longer answer is cut and points to the public page. */
export const MAX_SMS_PARTS = 8;

export interface EncodedSms {
  dataCoding: typeof DC_GSM | typeof DC_UCS2;
  /** Each part's short_message octets, the concatenation header first when there are several. */
  parts: Uint8Array[];
  /** Whether the parts start with a user data header (esm_class UDHI, 0x40). */
  udh: boolean;
}

// GSM 03.38 default alphabet (index = septet) and its extension table (after ESC, 0x1B).
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION: Record<string, number> = { '\f': 0x0a, '^': 0x14, '{': 0x28, '}': 0x29, '\\': 0x2f, '[': 0x3c, '~': 0x3d, ']': 0x3e, '|': 0x40, '€': 0x65 };
const GSM_EXT_BACK = new Map(Object.entries(GSM_EXTENSION).map(([c, v]) => [v, c]));
const ESC = 0x1b;

/** The septets of one character in the GSM alphabet, or null when it has none. */
function gsmSeptets(ch: string): number[] | null {
  if (ch === '\x1b') return null;
  const i = GSM_BASIC.indexOf(ch);
  if (i >= 0) return [i];
  const ext = GSM_EXTENSION[ch];
  return ext === undefined ? null : [ESC, ext];
}

/** ASCII text the GSM alphabet spells (every printable ASCII but the backtick): sent 7-bit. Anything else goes as UCS-2. */
export function fitsGsm(text: string): boolean {
  for (const ch of text) if (ch.charCodeAt(0) > 0x7e || gsmSeptets(ch) === null) return false;
  return true;
}

/** The 6-octet header of part `seq` (1-based) of `total` under 8-bit reference `ref`. */
export function concatHeader(ref: number, total: number, seq: number): Uint8Array {
  return Uint8Array.of(0x05, 0x00, 0x03, ref & 0xff, total, seq);
}

/**
 * Cuts UTF-16 code units into runs of at most `size`, never between the halves of a
 * surrogate pair (an emoji or a rare character outside the BMP stays whole on the phone).
 */
function cutUnits(text: string, size: number): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = Math.min(at + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && end - at > 1 && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}

function ucs2(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    out[2 * i] = u >> 8;
    out[2 * i + 1] = u & 0xff;
  }
  return out;
}

/** Septets per part, never splitting an escape from the character it escapes. */
function cutSeptets(septets: number[][], size: number): number[][] {
  const parts: number[][] = [];
  let cur: number[] = [];
  for (const s of septets) {
    if (cur.length + s.length > size) {
      parts.push(cur);
      cur = [];
    }
    cur.push(...s);
  }
  if (cur.length > 0 || parts.length === 0) parts.push(cur);
  return parts;
}

function withHeader(body: Uint8Array, ref: number, total: number, seq: number): Uint8Array {
  const out = new Uint8Array(UDH_OCTETS + body.length);
  out.set(concatHeader(ref, total, seq), 0);
  out.set(body, UDH_OCTETS);
  return out;
}

/**
 * The short_message parts of `text`: GSM 7-bit (one septet per octet, as SMPP carries it
 * unpacked) when it is GSM-spellable ASCII, else UCS-2; one part when it fits, else parts
 * with a concatenation header under `ref`, 67 UCS-2 characters or 153 septets each, so every
 * part fills at most 140 octets on the air.
 */
export function encodeSms(text: string, ref: number): EncodedSms {
  if (fitsGsm(text)) {
    const septets = [...text].map((ch) => gsmSeptets(ch)!);
    const count = septets.reduce((n, s) => n + s.length, 0);
    if (count <= GSM_SINGLE) return { dataCoding: DC_GSM, parts: [Uint8Array.from(septets.flat())], udh: false };
    const cut = cutSeptets(septets, GSM_PART);
    return { dataCoding: DC_GSM, parts: cut.map((p, i) => withHeader(Uint8Array.from(p), ref, cut.length, i + 1)), udh: true };
  }
  if (text.length <= UCS2_SINGLE) return { dataCoding: DC_UCS2, parts: [ucs2(text)], udh: false };
  const cut = cutUnits(text, UCS2_PART);
  return { dataCoding: DC_UCS2, parts: cut.map((p, i) => withHeader(ucs2(p), ref, cut.length, i + 1)), udh: true };
}

/** Octets one part occupies on the air: septets pack 8 to 7 octets, the header counted in whole septets' room. */
export function airOctets(encoded: EncodedSms, part: Uint8Array): number {
  if (encoded.dataCoding === DC_UCS2) return part.length;
  const headerBits = encoded.udh ? UDH_OCTETS * 8 : 0;
  // Septets start on a septet boundary after the header: the fill bits count too.
  const fill = (7 - (headerBits % 7)) % 7;
  const septets = part.length - (encoded.udh ? UDH_OCTETS : 0);
  return Math.ceil((headerBits + (headerBits ? fill : 0) + septets * 7) / 8);
}

/** The text of a part's payload (its header, if any, skipped). */
export function decodePart(dataCoding: number, part: Uint8Array, udh: boolean): string {
  const body = udh && part.length > 0 ? part.subarray(part[0]! + 1) : part;
  if (dataCoding === DC_UCS2) {
    let s = '';
    for (let i = 0; i + 1 < body.length; i += 2) s += String.fromCharCode((body[i]! << 8) | body[i + 1]!);
    return s;
  }
  let s = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i] === ESC && i + 1 < body.length) s += GSM_EXT_BACK.get(body[++i]!) ?? ' ';
    else s += GSM_BASIC[body[i]! & 0x7f] ?? ' ';
  }
  return s;
}

/** Joins a message's parts back into its text. */
export function decodeSms(encoded: EncodedSms): string {
  return encoded.parts.map((p) => decodePart(encoded.dataCoding, p, encoded.udh)).join('');
}

/** A concatenated part's place, from its header's information elements (8-bit 0x00 or 16-bit 0x08 reference). */
export interface ConcatInfo {
  ref: number;
  total: number;
  seq: number;
}

/** The concatenation element among a user data header's elements (each `[iei, length, …data]`), or null. */
export function concatOf(elements: readonly Uint8Array[]): ConcatInfo | null {
  for (const e of elements) {
    if (e[0] === 0x00 && e[1] === 3 && e.length >= 5) return valid({ ref: e[2]!, total: e[3]!, seq: e[4]! });
    if (e[0] === 0x08 && e[1] === 4 && e.length >= 6) return valid({ ref: (e[2]! << 8) | e[3]!, total: e[4]!, seq: e[5]! });
  }
  return null;
}

const valid = (c: ConcatInfo): ConcatInfo | null => (c.total >= 1 && c.seq >= 1 && c.seq <= c.total ? c : null);

/**
 * The words that stop messages to a number (回复TD退订), as a citizen types them: TD in any
 * case or width, or 退订, with stray spaces and punctuation around.
 */
export function isOptOut(text: string): boolean {
  const t = text.normalize('NFKC').replace(/[\s.,!。，！、]/g, '').toUpperCase();
  return t === 'TD' || t === '退订';
}

/** What a delivery receipt says: the SMSC's id of the message it reports on, and its final state. */
export interface Receipt {
  id: string;
  /** DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, UNKNOWN, ENROUTE, ACCEPTD… */
  stat: string;
  err: string | null;
}

/** SMPP 3.4 appendix B's receipt text (`id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…`), or null. */
export function parseReceipt(text: string): Receipt | null {
  const id = /(?:^|\s)id:(\S+)/i.exec(text);
  const stat = /(?:^|\s)stat:(\w+)/i.exec(text);
  if (!id || !stat) return null;
  const err = /(?:^|\s)err:(\w+)/i.exec(text);
  return { id: id[1]!, stat: stat[1]!.toUpperCase(), err: err ? err[1]! : null };
}

/** SMPP's message_state TLV values, as receipt words. */
const MESSAGE_STATES: Record<number, string> = { 1: 'ENROUTE', 2: 'DELIVRD', 3: 'EXPIRED', 4: 'DELETED', 5: 'UNDELIV', 6: 'ACCEPTD', 7: 'UNKNOWN', 8: 'REJECTD' };
export function messageStateWord(state: number): string {
  return MESSAGE_STATES[state] ?? 'UNKNOWN';
}

/** A receipt's verdict on a part: on the phone, never going to be, or still on its way (null). */
export function receiptOutcome(stat: string): 'delivered' | 'failed' | null {
  if (stat === 'DELIVRD') return 'delivered';
  if (stat === 'ENROUTE' || stat === 'ACCEPTD') return null;
  return 'failed';
}

/**
 * A number as the SMSC gives it (8613912345678, +86 139…, 0086…) in the form the appeal's
 * contact keeps (13912345678); other numbers are kept as their digits.
 */
export function normalizeNumber(addr: string): string {
  const digits = addr.replace(/[^\d]/g, '');
  const m = /^(?:0086|86)(1[3-9]\d{9})$/.exec(digits);
  return m ? m[1]! : digits;
}

/**
 * Who records the SMS channel's appeals: the gateway (server/sms). Only its appeals are answered
 * by SMS, so no device can make the platform text a number by choosing the channel in a form.
 */
export const SMS_INTAKE = 'sms-gateway';

/** A message the appeal is owed: `key` makes queuing it idempotent (one per triggering event and purpose). */
export interface SmsDue {
  key: string;
  purpose: Exclude<SmsPurpose, 'opt_out'>;
  /** The answer, for a reply. */
  note?: string;
}

/**
 * What an appeal that came by SMS is owed by SMS, from its applied events: its evaluation
 * code once recorded; for every answer (a reply, or a settled mediation's agreement) the
 * answer and a return-visit request with the rating link. Appeals from other channels are
 * answered through theirs.
 */
export function smsOwed(snapshot: AppealSnapshot, state: AppealState): SmsDue[] {
  if (snapshot.fields.channel !== 'sms' || snapshot.fields.createdBy !== SMS_INTAKE) return [];
  const refused = new Set(state.conflicts.map((c) => c.eventId));
  const out: SmsDue[] = [];
  for (const e of snapshot.events) {
    if (!isAppealEvent(e) || refused.has(e.id)) continue;
    if (e.type === 'recorded' && typeof snapshot.fields.evalCode === 'string') out.push({ key: `${e.id}:code`, purpose: 'code' });
    const answer = e.type === 'replied' ? e.note : e.type === 'mediation_closed' && e.settled ? e.note : null;
    if (answer !== null) out.push({ key: `${e.id}:reply`, purpose: 'reply', note: answer }, { key: `${e.id}:visit`, purpose: 'visit' });
  }
  return out;
}

/** The deployment's wording around each message. */
export interface SmsWording {
  /** 签名, e.g. 【民声】: Chinese operators require one at the start. */
  signature: string;
  /** Where citizens open the public pages, e.g. https://minsheng.example.cn (no trailing slash). */
  publicUrl: string;
}

/** The text of a message (zh-CN: it goes to citizens' phones), cut so it fits MAX_SMS_PARTS. */
export function smsText(purpose: SmsPurpose, w: SmsWording, code: string | null, note?: string): string {
  const link = code ? `${w.publicUrl}${evalCodePath(code)}` : w.publicUrl;
  const shown = code ? showEvalCode(code) : '';
  switch (purpose) {
    case 'code':
      return `${w.signature}您的诉求已受理，评价码 ${shown}，凭码查询进度：${link} 回复TD退订`;
    case 'reply': {
      const head = `${w.signature}您反映的诉求（评价码 ${shown}）答复如下：`;
      const full = `${head}${note ?? ''}`;
      const room = MAX_SMS_PARTS * UCS2_PART;
      if (full.length <= room) return full;
      const tail = `……全文见 ${link}`;
      return `${full.slice(0, room - tail.length)}${tail}`;
    }
    case 'visit':
      return `${w.signature}请对您的诉求（评价码 ${shown}）的办理结果评价：${link} 回复TD退订`;
    case 'opt_out':
      return `${w.signature}您已退订，本平台不再向您发送短信。再次来信反映诉求即恢复接收。`;
  }
}
