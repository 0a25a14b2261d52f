import type { IncomingMessage } from 'node:http';
import * as Y from 'yjs';
import { URGENCIES } from '../../src/core/appeal';
import { OPEN_STATUSES, STATUSES } from '../../src/core/fold';
import { isUuidV7 } from '../../src/core/id';
import { mayViewContact } from '../../src/core/privacy';
import { appealInScope } from '../../src/core/roles';
import type { Store, UserRecord } from '../store/types';
import { narrowScope } from './map';
import { HttpError, searchParams, type Route } from './plumbing';

// What a county or city desk's device does not hold (src/core/holdings.ts) it browses here:
// pages of its scope's appeals, latest change first, and any one of them whole, to open and
// keep on the device for a while. Both answer only within the user's scope.

export interface BrowseDeps {
  store: Store;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
}

export const BROWSE_PAGE = 50;
const MAX_PAGE = 200;

export function createBrowseRoutes(deps: BrowseDeps): Record<string, Route> {
  return {
    'GET /api/appeals': (req) => browse(deps, req),
    'GET /api/appeal-doc': (req) => appealDoc(deps, req),
  };
}

const bad = (message: string) => new HttpError(400, 'invalid_query', message);

/**
 * `?status=<status>|open&urgency=<urgency>&within=<region prefix>&before=<updatedAt>:<id>&limit=n`:
 * `{ rows, next }`, where `next` is the `before` of the following page (null after the last).
 */
async function browse({ store, authed }: BrowseDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { user } = await authed(req);
  const params = searchParams(req);
  const status = params.get('status');
  if (status !== null && status !== 'open' && !(STATUSES as readonly string[]).includes(status)) throw bad(`status must be open or one of ${STATUSES.join(', ')}`);
  const urgency = params.get('urgency');
  if (urgency !== null && !(URGENCIES as readonly string[]).includes(urgency)) throw bad(`urgency must be one of ${URGENCIES.join(', ')}`);
  const within = params.get('within');
  if (within !== null && !/^\d{4}(\d{2}(\d{3}(\d{3})?)?)?$/.test(within)) throw bad('within must be a region prefix of 4, 6, 9 or 12 digits');
  const limit = params.has('limit') ? Number(params.get('limit')) : BROWSE_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw bad(`limit must be a whole number from 1 to ${MAX_PAGE}`);
  const before = parseBefore(params.get('before'));
  const departments = user.role === 'dept_handler' ? user.scope.departments : undefined;
  const rows = await store.browseAppeals({
    prefixes: narrowScope(user.scope.regions, within),
    ...(departments && { departments }),
    ...(status && { statuses: status === 'open' ? OPEN_STATUSES : [status] }),
    ...(urgency && { urgency }),
    ...(before && { before }),
    limit,
  });
  // The SQL scope narrows; the rule decides.
  const shown = rows.filter((r) => appealInScope(user, { villageCode: r.village, dept: r.dept, createdBy: r.createdBy }));
  const last = rows[rows.length - 1];
  return [200, { rows: shown, next: rows.length === limit && last ? `${last.updatedAt}:${last.id}` : null }];
}

function parseBefore(value: string | null): { updatedAt: number; id: string } | undefined {
  if (value === null) return undefined;
  const m = /^(\d{1,16}):(.+)$/.exec(value);
  if (!m || !isUuidV7(m[2]!)) throw bad('before must be <updatedAt>:<id>, as the previous page’s next');
  return { updatedAt: Number(m[1]), id: m[2]! };
}

/**
 * `?id=<appeal id>`: the whole document (Yjs update, base64) and the citizen's contact where the
 * user may see it. An appeal outside the user's scope is answered exactly like a missing one.
 */
async function appealDoc({ store, authed }: BrowseDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { user } = await authed(req);
  const id = searchParams(req).get('id') ?? '';
  if (!isUuidV7(id)) throw bad('id must be an appeal id (UUIDv7)');
  const [row] = await store.appealsById([id]);
  if (!row || !appealInScope(user, { villageCode: row.village, dept: row.dept, createdBy: row.createdBy })) throw new HttpError(404, 'not_found', 'No such appeal in your scope');
  const update = Y.mergeUpdates(await store.docParts(id));
  const contact = mayViewContact(user, { villageCode: row.village, dept: row.dept, anonymous: row.anonymous }) ? await store.contact(id) : null;
  return [200, { id, update: Buffer.from(update).toString('base64'), ...(contact && { contact }) }];
}
