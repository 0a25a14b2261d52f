import type { PDU } from 'smpp';
import { concatOf, messageStateWord, normalizeNumber, parseReceipt, type Receipt } from '../../src/core/sms';
import { ESM_RECEIPT } from './status';

// Reading what the SMSC delivers: a delivery receipt (esm_class says so) or a citizen's
// message, whose parts (a long SMS arrives in several) are put back together here.

export type Delivered =
  | { kind: 'receipt'; receipt: Receipt }
  | { kind: 'text'; from: string; to: string; text: string }
  /** One part of a longer message: kept until the rest arrives. */
  | { kind: 'part' }
  /** Nothing the gateway can read (binary, empty). */
  | { kind: 'ignored'; why: string };

interface Decoded {
  message: string | Buffer;
  udh?: Buffer[];
}

function asDecoded(v: unknown): Decoded | null {
  if (Buffer.isBuffer(v)) return { message: v };
  if (typeof v === 'string') return { message: v };
  if (typeof v === 'object' && v !== null && 'message' in v) return v as Decoded;
  return null;
}

/** The text of a body the smpp package could not decode itself: GBK (data_coding 15, as Chinese SMSCs use it) or UCS-2. */
function textOf(message: string | Buffer, dataCoding: number): string | null {
  if (typeof message === 'string') return message;
  const dc = dataCoding & 0x0f;
  if (dc === 15) return new TextDecoder('gbk').decode(message);
  if (dc === 8) return new TextDecoder('utf-16be').decode(message);
  if (dc === 0 || dc === 1 || dc === 3) return message.toString('latin1');
  return null;
}

/** How long the parts of an incomplete long message are kept for the rest. */
const PARTS_KEPT_MS = 10 * 60_000;
const MAX_PENDING = 1_000;

export function createReader() {
  const pending = new Map<string, { at: number; total: number; parts: Map<number, string> }>();
  return function read(pdu: PDU, now = Date.now()): Delivered {
    const esm = Number(pdu.esm_class ?? 0);
    const body = asDecoded(pdu.short_message) ?? asDecoded(pdu.message_payload);
    const dataCoding = Number(pdu.data_coding ?? 0);
    if ((esm & 0x3c) === ESM_RECEIPT) {
      const text = body ? (textOf(body.message, dataCoding) ?? '') : '';
      const fromText = parseReceipt(text);
      const id = typeof pdu.receipted_message_id === 'string' && pdu.receipted_message_id ? pdu.receipted_message_id : fromText?.id;
      const stat = typeof pdu.message_state === 'number' ? messageStateWord(pdu.message_state) : fromText?.stat;
      if (!id || !stat) return { kind: 'ignored', why: 'a receipt without a message id or state' };
      return { kind: 'receipt', receipt: { id, stat, err: fromText?.err ?? null } };
    }
    const from = normalizeNumber(String(pdu.source_addr ?? ''));
    const to = String(pdu.destination_addr ?? '');
    if (!from) return { kind: 'ignored', why: 'no sender' };
    if (!body) return { kind: 'ignored', why: 'no text' };
    const text = textOf(body.message, dataCoding);
    if (text === null) return { kind: 'ignored', why: `data_coding ${dataCoding} is not text` };
    const concat = body.udh ? concatOf(body.udh.map((b) => new Uint8Array(b))) : null;
    if (!concat || concat.total === 1) return { kind: 'text', from, to, text };
    for (const [k, v] of pending) if (now - v.at > PARTS_KEPT_MS) pending.delete(k);
    if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value!);
    const key = `${from}\u0000${concat.ref}\u0000${concat.total}`;
    const entry = pending.get(key) ?? { at: now, total: concat.total, parts: new Map<number, string>() };
    entry.parts.set(concat.seq, text);
    pending.set(key, entry);
    if (entry.parts.size < entry.total) return { kind: 'part' };
    pending.delete(key);
    const whole = Array.from({ length: entry.total }, (_, i) => entry.parts.get(i + 1) ?? '').join('');
    return { kind: 'text', from, to, text: whole };
  };
}
