import type { Sql } from '../sql';
import type { RelayKey, RelayKeyStore } from './contract';

interface Row {
  id: string;
  county: string;
  public_key: string;
  label: string;
  created_by: string;
  created_at: number;
  revoked_at: number | null;
  last_seen_at: number | null;
}

const fromRow = (r: Row): RelayKey => ({
  id: r.id,
  county: r.county,
  publicKey: r.public_key,
  label: r.label,
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  lastSeenAt: r.last_seen_at === null ? null : Number(r.last_seen_at),
});

export function relayKeyStore(sql: Sql): RelayKeyStore {
  return {
    insertRelayKey: async (k) =>
      void (await sql.run('INSERT INTO relay_keys (id, county, public_key, label, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)', [k.id, k.county, k.publicKey, k.label, k.createdBy, k.createdAt])),
    relayKey: async (id) => {
      const r = await sql.get<Row>('SELECT * FROM relay_keys WHERE id = ?', [id]);
      return r ? fromRow(r) : null;
    },
    relayKeys: async () => (await sql.all<Row>('SELECT * FROM relay_keys ORDER BY created_at DESC, id DESC')).map(fromRow),
    revokeRelayKey: async (id, at) => (await sql.run('UPDATE relay_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id])) > 0,
    touchRelayKey: async (id, at) => void (await sql.run('UPDATE relay_keys SET last_seen_at = ? WHERE id = ?', [at, id])),
  };
}
