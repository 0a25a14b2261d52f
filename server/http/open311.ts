import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateAppealInput } from '../../src/core/appeal';
import { CATEGORY_CLASSES } from '../../src/core/categories';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { defaultPolicy, type Policies } from '../../src/core/policy-book';
import { isOpen } from '../../src/core/fold';
import type { AppealProjection } from '../../src/core/projection';
import { topDeskRole } from '../../src/core/workflow';
import { zhCN } from '../../src/i18n/zh-CN';
import type { Store } from '../store/types';
import { recordOnServer } from '../services/intake';
import type { CommitBus } from '../sync/bus';

// Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2), so existing civic tools and
// dashboards can read appeals and file new ones. Services are our 16 categories; a request's
// `address_id` is the 12-digit village code; every call but the service list needs an API
// key (`MINSHENG_OPEN311_KEYS`), since requests carry what citizens wrote.

const PREFIX = '/open311/v2/';
const MAX_RESULTS = 1000;
const DAY = 86_400_000;
const words = zhCN as Record<string, string>;
const label = (key: string) => words[key] ?? key;

export interface Open311Deps {
  store: Store;
  bus: CommitBus;
  /** The deployment's region prefix (a city's 4 digits, a county's 6): the only appeals these endpoints read. */
  region: string;
  villages: ReadonlySet<string>;
  /** Code → name of the deployment's counties, towns and villages. */
  places: ReadonlyMap<string, string>;
  /** The deployment's policies: a request is projected by its village's county's. */
  policy?: Policies;
  /** API key → the partner's name. */
  keys: ReadonlyMap<string, string>;
}

class Open311Error extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const services = () =>
  CATEGORY_CLASSES.flatMap((cls) =>
    cls.subs.map((code) => ({ service_code: code, service_name: label(`category.${code}`), description: `${label(`category.${cls.code}`)} · ${label(`category.${code}`)}`, metadata: false, type: 'batch', keywords: '', group: label(`category.${cls.code}`) })),
  );
const SERVICE_CODES = new Set(CATEGORY_CLASSES.flatMap((c) => c.subs));

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.byteLength;
    if (size > 64 * 1024) throw new Open311Error(413, 'request body larger than 64 KiB');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('application/json')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error();
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    } catch {
      throw new Open311Error(400, 'body is not a JSON object');
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** What the Open311 endpoints share, built once by createOpen311: the deps with the policy settled. */
type Open311Context = Open311Deps & { policy: Policies };

export function createOpen311({ policy = POLICY_PRESETS.linyi, ...deps }: Open311Deps) {
  const ctx: Open311Context = { ...deps, policy };
  /** Answers `/open311/v2/…`; false for any other path. */
  return (req: IncomingMessage, res: ServerResponse): Promise<boolean> => handleOpen311(ctx, req, res);
}

async function handleOpen311(ctx: Open311Context, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://local');
  if (!url.pathname.startsWith(PREFIX)) return false;
  const path = url.pathname.slice(PREFIX.length);
  try {
    if (req.method === 'GET' && path === 'services.json') reply(res, 200, services());
    else if (req.method === 'GET' && path === 'requests.json') reply(res, 200, await list(ctx, url.searchParams));
    else if (req.method === 'POST' && path === 'requests.json') reply(res, 201, await create(ctx, await readBody(req)));
    else if (req.method === 'GET' && /^requests\/[0-9a-f-]{36}\.json$/.test(path)) reply(res, 200, await single(ctx, url.searchParams.get('api_key'), path.slice('requests/'.length, -'.json'.length)));
    else throw new Open311Error(404, `no such endpoint: ${req.method} ${url.pathname}`);
  } catch (err) {
    if (err instanceof Open311Error) reply(res, err.status, [{ code: err.status, description: err.message }]);
    else {
      console.error('open311 failed', err);
      reply(res, 500, [{ code: 500, description: 'internal error' }]);
    }
  }
  return true;
}

/** The partner a key belongs to, or a 403. */
function partner({ keys }: Open311Context, key: string | null | undefined): string {
  const name = key ? keys.get(key) : undefined;
  if (!name) throw new Open311Error(403, 'a valid api_key is required');
  return name;
}

function asRequest(places: Open311Context['places'], a: AppealProjection) {
  return {
    service_request_id: a.id,
    status: isOpen(a.status) ? 'open' : 'closed',
    status_notes: label(`status.${a.status}`),
    service_name: label(`category.${a.category}`),
    service_code: a.category,
    description: a.title,
    agency_responsible: a.dept ? label(`dept.${a.dept}`) : (places.get(a.town) ?? a.town),
    service_notice: '',
    requested_datetime: iso(a.createdAt),
    updated_datetime: iso(a.updatedAt),
    expected_datetime: iso(a.dueAt),
    address: `${places.get(a.town) ?? ''}${places.get(a.village) ?? ''}`,
    address_id: a.village,
    zipcode: '',
    lat: a.lat,
    long: a.lng,
    media_url: '',
  };
}

/** A date-time query parameter, or null when absent. */
function dateParam(params: URLSearchParams, name: string): number | null {
  const v = params.get(name);
  if (v === null) return null;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Open311Error(400, `${name} must be an ISO 8601 date-time`);
  return t;
}

async function list(ctx: Open311Context, params: URLSearchParams): Promise<unknown[]> {
  partner(ctx, params.get('api_key'));
  // The spec: given ids, every other filter is ignored.
  const ids = params.get('service_request_id')?.split(',').filter(Boolean) ?? null;
  if (ids) return byIds(ctx, ids.slice(0, MAX_RESULTS));
  const end = dateParam(params, 'end_date') ?? Date.now() + DAY;
  // The spec's default window: the last 90 days.
  const start = dateParam(params, 'start_date') ?? end - 90 * DAY;
  const code = params.get('service_code');
  const status = params.get('status');
  if (status !== null && status !== 'open' && status !== 'closed') throw new Open311Error(400, 'status must be open or closed');
  return (await ctx.store.exportRows([ctx.region], undefined, start, end))
    .filter((a) => (!code || a.category === code) && (!status || (status === 'open') === isOpen(a.status)))
    .reverse()
    .slice(0, MAX_RESULTS)
    .map((a) => asRequest(ctx.places, a));
}

async function byIds({ store, region, places }: Open311Context, ids: string[]): Promise<unknown[]> {
  return (await store.appealsById(ids))
    .filter((a) => a.village.startsWith(region))
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((a) => asRequest(places, a));
}

async function single(ctx: Open311Context, apiKey: string | null, id: string): Promise<unknown[]> {
  partner(ctx, apiKey);
  const found = await byIds(ctx, [id]);
  if (found.length === 0) throw new Open311Error(404, 'no such service request');
  return found;
}

async function create(ctx: Open311Context, body: Record<string, string>): Promise<unknown[]> {
  const name = partner(ctx, body.api_key);
  if (!body.service_code || !SERVICE_CODES.has(body.service_code)) throw new Open311Error(400, 'service_code must be one of services.json');
  if (!body.address_id) throw new Open311Error(400, 'address_id (the 12-digit village code) is required');
  const lat = body.lat === undefined ? null : Number(body.lat);
  const lng = body.long === undefined ? null : Number(body.long);
  const person = [body.last_name, body.first_name].filter(Boolean).join('');
  const checked = validateAppealInput(
    {
      channel: 'online_opinion',
      category: body.service_code,
      kind: 'help',
      urgency: 'yellow',
      villageCode: body.address_id,
      description: body.description ?? '',
      citizen: person || body.phone ? { anonymous: false, ...(person && { name: person }), ...(body.phone && { phone: body.phone }) } : { anonymous: true },
      gps: lat !== null || lng !== null ? { lat, lng } : null,
    },
    (c) => ctx.villages.has(c),
  );
  if (!checked.ok) throw new Open311Error(400, Object.entries(checked.errors).map(([k, v]) => `${k}: ${v}`).join('; '));
  const { id } = await recordOnServer(ctx.store, ctx.bus, ctx.policy, checked.value, { id: `open311:${name}`, role: topDeskRole(defaultPolicy(ctx.policy)) });
  return [{ service_request_id: id, service_notice: label('open311.received'), account_id: null }];
}
