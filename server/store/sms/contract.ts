import type { SmsPurpose } from '../../../src/core/sms';

/**
 * Replies by SMS (server/sms): the outbox every message waits in until the SMSC has it, so
 * none is lost to a restart or an SMSC outage; the parts the SMSC accepted, by its message
 * ids, for delivery receipts; and the opted-out numbers, kept only as keyed hashes.
 * Several instances may share it: a message is claimed for a lease before it is sent.
 */
export interface SmsStore {
  /** Queues a message unless one with its `dedupe` key exists; true when this call queued it. */
  queueSms(m: NewSms, now: number): Promise<boolean>;
  /** Claims the next message due (queued and due, or a lapsed claim) until `now + leaseMs`; null when none. */
  claimSms(now: number, leaseMs: number): Promise<OutboxSms | null>;
  /** Changes a claimed or sent message: its state, parts, attempts, next try, reason; `forget` clears a stored number. */
  updateSms(id: string, change: SmsChange, now: number): Promise<void>;
  /** Records a part the SMSC accepted, under the id it gave. */
  smsPartSent(outboxId: string, seq: number, smscId: string, now: number): Promise<void>;
  /** Sets the outcome of the part the SMSC knows as `smscId`; returns its message and every part's state, or null when unknown. */
  smsReceipt(smscId: string, state: 'delivered' | 'failed', reason: string | null, now: number): Promise<{ message: OutboxSms; parts: SmsPartState[] } | null>;
  /** The parts of a message the SMSC accepted, by their place in it. */
  smsParts(outboxId: string): Promise<SmsPartState[]>;
  /** One message, or null. */
  smsMessage(id: string): Promise<OutboxSms | null>;
  /** The messages of an appeal (or all, without one), oldest first. */
  smsMessages(appealId?: string): Promise<OutboxSms[]>;
  /** Adds a number's hash to the opt-out list; true when it was not on it. */
  smsOptOut(hash: string, now: number): Promise<boolean>;
  /** Takes a number's hash off the list; true when it was on it. */
  smsOptIn(hash: string): Promise<boolean>;
  smsOptedOut(hash: string): Promise<boolean>;
}

export type OutboxState = 'queued' | 'sending' | 'sent' | 'delivered' | 'failed';

export interface NewSms {
  id: string;
  /** One message per triggering event and purpose (core/sms.ts smsOwed), or per opt-out. */
  dedupe: string;
  appealId: string | null;
  purpose: SmsPurpose;
  body: string;
  /** Only for a message with no appeal to read the contact from (the opt-out confirmation). */
  phone: string | null;
  /** The concatenation reference its parts carry, the same on every retry. */
  ref: number;
}

export interface OutboxSms extends NewSms {
  parts: number;
  sentParts: number;
  state: OutboxState;
  reason: string | null;
  attempts: number;
  nextAt: number;
  createdAt: number;
  updatedAt: number;
}

export interface SmsChange {
  state?: OutboxState;
  reason?: string | null;
  parts?: number;
  sentParts?: number;
  attempts?: number;
  nextAt?: number;
  forget?: boolean;
}

export interface SmsPartState {
  seq: number;
  state: 'sent' | 'delivered' | 'failed';
  reason: string | null;
}
