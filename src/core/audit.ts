// What the audit log records, one name per kind of act: the server writes these, the admin page
// shows each in words (`audit.<action>` in both locales; tests/core/messages.test.ts).
export const AUDIT_ACTIONS = [
  'login',
  'login_failed',
  'login_throttled',
  'logout',
  'permission_refused',
  'user_created',
  'user_updated',
  'contacts_exported',
  'keywords_updated',
  'place_corrected',
  'comment_approved',
  'comment_rejected',
  'relay_registered',
  'relay_revoked',
  'mediator_graded',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
