import type { IncomingMessage } from 'node:http';
import * as v from 'valibot';
import { PUBLISH_ROLES, regionInScope } from '../../src/core/roles';
import type { Store, UserRecord } from '../store/types';
import { clientIp } from '../net/address';
import { HttpError, parse, readJson, type Route } from './plumbing';

// Citizens' comments on the public board wait here until a town official or the city center,
// within their own area, lets them show or turns them down.

const VerdictBody = v.strictObject({ id: v.pipe(v.string(), v.uuid()), verdict: v.picklist(['approved', 'rejected']) });

export function createModerationRoutes({ store, authed }: { store: Store; authed: (req: IncomingMessage) => Promise<{ user: UserRecord }> }): Record<string, Route> {
  const moderator = async (req: IncomingMessage): Promise<UserRecord> => {
    const { user } = await authed(req);
    if (!PUBLISH_ROLES.includes(user.role)) throw new HttpError(403, 'forbidden', 'Only town officials and the city center moderate the public board');
    return user;
  };
  return {
    /** `?status=pending|approved|rejected` (default pending): comments on appeals in the user's area, newest first. */
    'GET /api/moderation/comments': async (req) => {
      const user = await moderator(req);
      const status = new URL(req.url ?? '/', 'http://local').searchParams.get('status') ?? 'pending';
      if (status !== 'pending' && status !== 'approved' && status !== 'rejected') throw new HttpError(400, 'invalid_query', 'status must be pending, approved or rejected');
      const comments = await store.comments({ status, regionPrefixes: user.scope.regions, limit: 200 });
      const titles = new Map((await store.appealsById([...new Set(comments.map((c) => c.appealId))])).map((a) => [a.id, a.publicSummary ?? a.title]));
      return [200, { comments: comments.map((c) => ({ ...c, appeal: titles.get(c.appealId) ?? '' })) }];
    },
    'POST /api/moderation/comments': async (req) => {
      const user = await moderator(req);
      const { id, verdict } = parse(VerdictBody, await readJson(req));
      const [comment] = await store.comments({ regionPrefixes: user.scope.regions, limit: 1, id });
      if (!comment || !regionInScope(user.scope, comment.village)) throw new HttpError(404, 'not_found', 'No such comment in your area');
      if (!(await store.moderateComment(id, verdict, user.id, Date.now()))) throw new HttpError(409, 'already_moderated', 'This comment was already moderated');
      await store.insertAudit({ at: Date.now(), actor: user.id, action: `comment_${verdict}`, target: id, ip: clientIp(req), detail: { appeal: comment.appealId } });
      return [200, { id, status: verdict }];
    },
  };
}
