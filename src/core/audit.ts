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
  // Deputies' columns (issue 29).
  'deputy_body_set',
  // Online Q&A sessions (issue 29).
  'qa_session_created',
  'qa_question_approved',
  'qa_question_rejected',
  'qa_question_answered',
  'qa_question_to_appeal',
  // Policy information and contact cards (issue 29).
  'article_published',
  'article_edited',
  'article_withdrawn',
  'work_phone_published',
  'work_phone_withdrawn',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
