import type { Sql } from '../sql';
import type { AuditEntry, AuditLog } from './contract';

export function auditLog(sql: Sql): AuditLog {
  return {
    insertAudit: async (e) =>
      void (await sql.run('INSERT INTO audit (at, actor, action, target, ip, detail) VALUES (?, ?, ?, ?, ?, ?)', [
        e.at, e.actor ?? null, e.action, e.target ?? null, e.ip ?? null, JSON.stringify(e.detail ?? {}),
      ])),
    audit: async (limit, before) =>
      (await sql.all<Omit<AuditEntry, 'detail'> & { detail: string }>('SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?', [before ?? Number.MAX_SAFE_INTEGER, limit])).map((r) => ({
        ...r,
        detail: JSON.parse(r.detail) as Record<string, unknown>,
      })),
  };
}
