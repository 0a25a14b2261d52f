import type { QaQuestion, QaSession, QuestionStatus } from '../../../src/core/qa';

/**
 * Online Q&A sessions (在线访谈) and the questions citizens post to them. Questions wait for
 * a moderator; an answer or a link to the appeal a question became is written once.
 */
export interface QaStore {
  putQaSession(s: QaSession): Promise<void>;
  qaSession(id: string): Promise<QaSession | null>;
  /** Every session, soonest start first (there are a handful a month). */
  qaSessions(): Promise<QaSession[]>;
  addQaQuestion(q: { id: string; sessionId: string; body: string; createdAt: number }): Promise<void>;
  qaQuestion(id: string): Promise<QaQuestion | null>;
  /** A session's questions, oldest first, of one status when given. */
  qaQuestions(sessionId: string, status?: QuestionStatus): Promise<QaQuestion[]>;
  /** Approves or rejects a pending question; false when it was not pending. */
  moderateQaQuestion(id: string, status: 'approved' | 'rejected', by: string, at: number): Promise<boolean>;
  /** Writes the answer to an approved question (a later answer corrects it); false when it is not approved. */
  answerQaQuestion(id: string, answer: string, by: string, at: number): Promise<boolean>;
  /** Links a question to the appeal made from it; false when it already has one. */
  linkQaAppeal(id: string, appealId: string, evalCode: string | null): Promise<boolean>;
}
