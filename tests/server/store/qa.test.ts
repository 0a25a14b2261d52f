import { expect, it } from 'vitest';
import { newId } from '../../../src/core/id';
import type { QaSession } from '../../../src/core/qa';
import { eachStore } from './stores';

// Online Q&A sessions and questions (server/store/qa/contract.ts) on both stores.

const HOUR = 3_600_000;
// Times past 2^31 ms: PostgreSQL's BIGINT comes back as text and must read as the same number.
const T0 = 1_800_000_000_000;
const session = (id: string, startsAt: number, over: Partial<QaSession> = {}): QaSession => ({
  id, topic: '农村饮水安全', host: '县水务局局长', region: '371324', dept: null, startsAt, endsAt: startsAt + 2 * HOUR, createdBy: 'u-1', createdAt: T0, ...over,
});

eachStore('qa', (use) => {
  it('keeps sessions as given, soonest start first, and refuses a second with the same id', () =>
    use(async (store) => {
      const later = session(newId(), T0 + 2 * HOUR, { dept: 'water' });
      const sooner = session(newId(), T0, { region: '371324102000' });
      await store.putQaSession(later);
      await store.putQaSession(sooner);
      expect(await store.qaSessions()).toEqual([sooner, later]);
      expect(await store.qaSession(later.id)).toEqual(later);
      expect(await store.qaSession(newId())).toBeNull();
      await expect(store.putQaSession(later)).rejects.toThrow();
    }));

  it('holds questions pending, moderates each once, answers only approved ones, links one appeal', () =>
    use(async (store) => {
      const s = session(newId(), T0);
      await store.putQaSession(s);
      const [q1, q2, q3] = [newId(), newId(), newId()];
      await store.addQaQuestion({ id: q2, sessionId: s.id, body: '第二个问题', createdAt: T0 + 2 });
      await store.addQaQuestion({ id: q1, sessionId: s.id, body: '第一个问题', createdAt: T0 + 1 });
      await store.addQaQuestion({ id: q3, sessionId: s.id, body: '第三个问题', createdAt: T0 + 3 });
      expect((await store.qaQuestions(s.id)).map((q) => [q.id, q.status])).toEqual([[q1, 'pending'], [q2, 'pending'], [q3, 'pending']]);
      expect(await store.qaQuestion(q1)).toEqual({ id: q1, sessionId: s.id, body: '第一个问题', status: 'pending', createdAt: T0 + 1, answer: null, answeredAt: null, answeredBy: null, appealId: null, evalCode: null });

      expect(await store.answerQaQuestion(q1, '还没审核', 'u-1', T0 + 10)).toBe(false);
      expect(await store.moderateQaQuestion(q1, 'approved', 'u-1', T0 + 10)).toBe(true);
      expect(await store.moderateQaQuestion(q1, 'rejected', 'u-1', T0 + 11)).toBe(false);
      expect(await store.moderateQaQuestion(q2, 'rejected', 'u-1', T0 + 11)).toBe(true);
      expect(await store.answerQaQuestion(q2, '不公开的不答', 'u-1', T0 + 12)).toBe(false);
      expect(await store.answerQaQuestion(q1, '本月底前完成改造', 'u-1', T0 + 12)).toBe(true);
      expect(await store.answerQaQuestion(q1, '本月底前完成管网改造', 'u-2', T0 + 13)).toBe(true);
      expect(await store.qaQuestion(q1)).toMatchObject({ status: 'approved', answer: '本月底前完成管网改造', answeredBy: 'u-2', answeredAt: T0 + 13 });

      expect((await store.qaQuestions(s.id, 'approved')).map((q) => q.id)).toEqual([q1]);
      expect((await store.qaQuestions(s.id, 'pending')).map((q) => q.id)).toEqual([q3]);
      expect((await store.qaQuestions(s.id, 'rejected')).map((q) => q.id)).toEqual([q2]);

      const appeal = newId();
      expect(await store.linkQaAppeal(q1, appeal, 'ABCD2345')).toBe(true);
      expect(await store.linkQaAppeal(q1, newId(), 'EFGH2345')).toBe(false);
      expect(await store.qaQuestion(q1)).toMatchObject({ appealId: appeal, evalCode: 'ABCD2345' });
    }));

  it('refuses a question for a session that does not exist', () =>
    use(async (store) => {
      await expect(store.addQaQuestion({ id: newId(), sessionId: newId(), body: '无主的问题', createdAt: T0 })).rejects.toThrow();
    }));
});
