import type { AuditAction } from '../../../src/core/audit';

/** Who did what, append-only: logins, refusals, administration. Read newest first, in pages. */
export interface AuditLog {
  insertAudit(entry: NewAuditEntry): Promise<void>;
  /** Newest first, `limit` entries with id below `before`. */
  audit(limit: number, before?: number): Promise<AuditEntry[]>;
}

export interface AuditEntry {
  id: number;
  at: number;
  /** The user who acted, or null (an unknown username at login). */
  actor: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
}

/** A new entry names one of the known acts, so the admin page can say each in words. */
export type NewAuditEntry = Omit<AuditEntry, 'id' | 'detail' | 'target' | 'ip' | 'actor' | 'action'> & { action: AuditAction } & Partial<Pick<AuditEntry, 'target' | 'ip' | 'actor' | 'detail'>>;
