import { chunks, valueRows, type Sql } from '../sql';
import type { DeviceKey, HandoverStore, RelayRecord } from './contract';

interface KeyRow {
  id: string;
  user_id: string;
  device_id: string;
  public_key: string;
  created_at: number;
  revoked_at: number | null;
}

const fromKeyRow = (r: KeyRow): DeviceKey => ({
  id: r.id,
  userId: r.user_id,
  deviceId: r.device_id,
  publicKey: r.public_key,
  createdAt: Number(r.created_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});

interface RelayRow {
  digest: string;
  key_id: string;
  carrier: string;
  at: number;
  outcome: string;
}

export function handoverStore(sql: Sql): HandoverStore {
  return {
    registerDeviceKey: (k) =>
      sql.transaction(async (tx) => {
        const found = await tx.get<KeyRow>('SELECT * FROM device_keys WHERE id = ?', [k.id]);
        if (found) return found.user_id === k.userId && found.device_id === k.deviceId && found.public_key === k.publicKey && found.revoked_at === null ? 'unchanged' : 'conflict';
        // One live key per user and device: a device that made a new key (its storage cleared) retires the old one.
        await tx.run('UPDATE device_keys SET revoked_at = ? WHERE user_id = ? AND device_id = ? AND revoked_at IS NULL', [k.createdAt, k.userId, k.deviceId]);
        await tx.run('INSERT INTO device_keys (id, user_id, device_id, public_key, created_at) VALUES (?, ?, ?, ?, ?)', [k.id, k.userId, k.deviceId, k.publicKey, k.createdAt]);
        return 'registered';
      }),
    deviceKey: async (id) => {
      const r = await sql.get<KeyRow>('SELECT * FROM device_keys WHERE id = ?', [id]);
      return r ? fromKeyRow(r) : null;
    },
    revokeDeviceKey: async (id, at) => (await sql.run('UPDATE device_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id])) > 0,
    handoverDigests: async (deviceId, seqs) => {
      const out = new Map<number, string>();
      for (const part of chunks(seqs)) {
        if (part.length === 0) continue;
        const rows = await sql.all<{ seq: number; digest: string }>(`SELECT seq, digest FROM handover_entries WHERE device_id = ? AND seq IN (${part.map(() => '?').join(', ')})`, [deviceId, ...part]);
        for (const r of rows) out.set(Number(r.seq), r.digest);
      }
      return out;
    },
    recordHandoverEntries: async (deviceId, entries) => {
      for (const part of chunks(entries, 300)) {
        if (part.length === 0) continue;
        await sql.run(`INSERT INTO handover_entries (device_id, seq, digest) VALUES ${valueRows(part.length, 3)} ON CONFLICT DO NOTHING`, part.flatMap((e) => [deviceId, e.seq, e.digest]));
      }
    },
    recordRelay: async (r: RelayRecord) =>
      void (await sql.run('INSERT INTO handover_relays (digest, key_id, carrier, at, outcome) VALUES (?, ?, ?, ?, ?) ON CONFLICT (digest) DO UPDATE SET carrier = excluded.carrier, at = excluded.at, outcome = excluded.outcome', [r.digest, r.keyId, r.carrier, r.at, r.outcome])),
    relaysOfKey: async (keyId, limit) =>
      (await sql.all<RelayRow>('SELECT * FROM handover_relays WHERE key_id = ? ORDER BY at DESC LIMIT ?', [keyId, limit])).map((r) => ({ digest: r.digest, keyId: r.key_id, carrier: r.carrier, at: Number(r.at), outcome: r.outcome })),
  };
}
