import type { QaQuestion, QaSession, QuestionStatus } from '../../../src/core/qa';
import type { Sql } from '../sql';
import type { QaStore } from './contract';

// Times come back from PostgreSQL's BIGINT as text: read every number through Number().
function sessionFromRow(r: Record<string, unknown>): QaSession {
  return {
    id: r.id as string,
    topic: r.topic as string,
    host: r.host as string,
    region: r.region as string,
    dept: (r.dept as string | null) ?? null,
    startsAt: Number(r.starts_at),
    endsAt: Number(r.ends_at),
    createdBy: r.created_by as string,
    createdAt: Number(r.created_at),
  };
}

const orNull = (x: unknown) => (x === null || x === undefined ? null : Number(x));

function questionFromRow(r: Record<string, unknown>): QaQuestion {
  return {
    id: r.id as string,
    sessionId: r.session_id as string,
    body: r.body as string,
    status: r.status as QuestionStatus,
    createdAt: Number(r.created_at),
    answer: (r.answer as string | null) ?? null,
    answeredAt: orNull(r.answered_at),
    answeredBy: (r.answered_by as string | null) ?? null,
    appealId: (r.appeal_id as string | null) ?? null,
    evalCode: (r.eval_code as string | null) ?? null,
  };
}

export function qaStore(sql: Sql): QaStore {
  return {
    putQaSession: async (s) =>
      void (await sql.run('INSERT INTO qa_sessions (id, topic, host, region, dept, starts_at, ends_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        s.id, s.topic, s.host, s.region, s.dept, s.startsAt, s.endsAt, s.createdBy, s.createdAt,
      ])),
    qaSession: async (id) => {
      const row = await sql.get<Record<string, unknown>>('SELECT * FROM qa_sessions WHERE id = ?', [id]);
      return row ? sessionFromRow(row) : null;
    },
    qaSessions: async () => (await sql.all<Record<string, unknown>>('SELECT * FROM qa_sessions ORDER BY starts_at, id')).map(sessionFromRow),
    addQaQuestion: async (q) => void (await sql.run('INSERT INTO qa_questions (id, session_id, body, created_at) VALUES (?, ?, ?, ?)', [q.id, q.sessionId, q.body, q.createdAt])),
    qaQuestion: async (id) => {
      const row = await sql.get<Record<string, unknown>>('SELECT * FROM qa_questions WHERE id = ?', [id]);
      return row ? questionFromRow(row) : null;
    },
    qaQuestions: async (sessionId, status) =>
      (
        await sql.all<Record<string, unknown>>(
          `SELECT * FROM qa_questions WHERE session_id = ?${status ? ' AND status = ?' : ''} ORDER BY created_at, id`,
          status ? [sessionId, status] : [sessionId],
        )
      ).map(questionFromRow),
    moderateQaQuestion: async (id, status, by, at) =>
      (await sql.run("UPDATE qa_questions SET status = ?, moderated_by = ?, moderated_at = ? WHERE id = ? AND status = 'pending'", [status, by, at, id])) === 1,
    answerQaQuestion: async (id, answer, by, at) =>
      (await sql.run("UPDATE qa_questions SET answer = ?, answered_by = ?, answered_at = ? WHERE id = ? AND status = 'approved'", [answer, by, at, id])) === 1,
    linkQaAppeal: async (id, appealId, evalCode) =>
      (await sql.run('UPDATE qa_questions SET appeal_id = ?, eval_code = ? WHERE id = ? AND appeal_id IS NULL', [appealId, evalCode, id])) === 1,
  };
}
