import { createHmac, randomBytes } from 'node:crypto';
import type { MetaStore } from '../store/types';

// Phone numbers are personal data. The appeal's contact keeps the citizen's number as every
// contact is kept; the opt-out list and the rate limits keep only a keyed hash (HMAC-SHA256
// under a key made once per deployment and kept in the store's meta table). An 11-digit
// number's plain hash is undone by trying them all; the keyed one cannot be joined with any
// other list and means nothing read on its own. (Whoever holds the whole database holds the
// key too: this guards exports and glances, not a stolen disk.)

const KEY = 'sms_number_key';

export interface NumberHasher {
  hash(number: string): string;
}

export async function numberHasher(store: MetaStore): Promise<NumberHasher> {
  const key = Buffer.from(await store.claimMeta(KEY, randomBytes(32).toString('hex')), 'hex');
  return { hash: (number) => createHmac('sha256', key).update(number).digest('hex') };
}
