import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPhone, validateAppealInput, type AppealInput, type Contact } from '../../src/core/appeal';
import type { AttachmentRef } from '../../src/core/attachments';
import { CATEGORY_CLASSES } from '../../src/core/categories';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { isOpen, type Status } from '../../src/core/fold';
import { placeNamed, placeOf } from '../../src/core/nearest-place';
import { citizenFrom, commaList, coordinates, descriptionFrom, isOpen311Status } from '../../src/core/open311';
import { defaultPolicy, type Policies } from '../../src/core/policy-book';
import { scrubPublicText } from '../../src/core/privacy';
import type { AppealProjection } from '../../src/core/projection';
import type { Role } from '../../src/core/roles';
import { topDeskRole } from '../../src/core/workflow';
import { zhCN } from '../../src/i18n/zh-CN';
import type { Store } from '../store/types';
import { appendOnServer, recordOnServer } from '../services/intake';
import type { CommitBus } from '../sync/bus';
import { closeAfterRefusal, Open311Error, readOpen311Body } from './open311-body';
import { isPartnerUpload, publicPhoto, storeOpen311Photo } from './open311-media';
import { loadOpen311Places, type Open311Places } from './open311-places';
import { requestUpdates } from './open311-updates';
import { toXml, type XmlValue } from './open311-xml';
import { newId } from '../../src/core/id';
import { MAX_EVENT_NOTE_CHARS } from '../../src/core/limits';
import { log } from '../log';

// Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) with Service Discovery and
// mySociety's servicerequestupdates, so FixMyStreet, GeoReporter and civic dashboards can file
// and follow appeals. Every endpoint answers in XML (the spec's required format) and JSON, by
// its extension; errors too. Services are our categories (realtime: POST returns the id). A
// request is placed by `address_id` (a 12-digit village code), by `lat`/`long` (the village or
// town it falls in, src/core/nearest-place.ts), or by `address_string` alone (kept, and sent to
// the dispatcher to place). Writing needs an API key (MINSHENG_OPEN311_KEYS); reading too, unless
// the deployment opens reads (MINSHENG_OPEN311_PUBLIC=1), which serve non-personal fields only,
// as every read does. Every path under /open311 gets an answer.

const ROOT = '/open311';
const MAX_RESULTS = 1000;
const DAY = 86_400_000;
/** When this API's shape last changed (discovery's changeset). */
const CHANGESET = '2026-11-30T00:00:00Z';
const words = zhCN as Record<string, string>;
const label = (key: string) => words[key] ?? key;
/** Lines added to an appeal's text for the officials (the app's default language). */
const NOTE = { address: '地址（来自 Open311）：', photo: '照片链接：', town: '按坐标定位到乡镇，请调度员确认所在村：' };

export interface Open311Deps {
  store: Store;
  bus: CommitBus;
  /** The deployment's region prefix (a city's 4 digits, a county's 6): the only appeals these endpoints read. */
  region: string;
  /** The deployment's 6-digit code (a city's ends in 00): whose outline and points place coordinates. */
  regionCode?: string;
  villages: ReadonlySet<string>;
  /** Code → name of the deployment's counties, towns and villages. */
  places: ReadonlyMap<string, string>;
  /** The deployment's policies: a request is projected by its village's county's. */
  policy?: Policies;
  /** API key → the partner's name. */
  keys: ReadonlyMap<string, string>;
  /** Where uploaded files live (photos sent with requests join them); without it, photos are refused. */
  dataDir?: string;
  /** Reads without a key (public, non-personal fields only). */
  publicReads?: boolean;
}

type Format = 'json' | 'xml';

/** What the Open311 endpoints share, built once by createOpen311. */
interface Open311Context extends Open311Deps {
  policy: Policies;
  where: Open311Places;
}

const SERVICE_CODES = new Set(CATEGORY_CLASSES.flatMap((c) => c.subs));
const services = () =>
  CATEGORY_CLASSES.flatMap((cls) =>
    cls.subs.map((code) => ({ service_code: code, service_name: label(`category.${code}`), description: `${label(`category.${cls.code}`)} · ${label(`category.${code}`)}`, metadata: false, type: 'realtime', keywords: '', group: label(`category.${cls.code}`) })),
  );

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function createOpen311({ policy = POLICY_PRESETS.linyi, ...deps }: Open311Deps) {
  const where = loadOpen311Places(deps.regionCode ?? deps.region.padEnd(6, '0'), deps.villages, deps.places);
  const ctx: Open311Context = { ...deps, policy, where };
  /** Answers every path under /open311 (callers send only those). */
  return (req: IncomingMessage, res: ServerResponse): Promise<boolean> => handleOpen311(ctx, req, res);
}

function reply(req: IncomingMessage, res: ServerResponse, status: number, format: Format, root: string, value: XmlValue): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  // Reads carry no personal data, so any site may show them.
  if (req.method === 'GET' || req.method === 'HEAD') headers['access-control-allow-origin'] = '*';
  if (status === 413) headers.connection = 'close';
  if (format === 'xml') res.writeHead(status, { ...headers, 'content-type': 'text/xml; charset=utf-8' }).end(toXml(root, value));
  else res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
  if (status === 413) closeAfterRefusal(req, res);
}

/** The format a path asks for by its extension (`.xml`, `.json`), and the path without it. */
function formatOf(path: string): { format: Format | null; bare: string } {
  const m = /^(.*)\.(json|xml)$/.exec(path);
  return m ? { format: m[2] as Format, bare: m[1]! } : { format: null, bare: path };
}

async function handleOpen311(ctx: Open311Context, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://local');
  const rest = url.pathname.slice(ROOT.length).replace(/\/+$/, '');
  const { format: asked, bare } = formatOf(rest);
  const format: Format = asked ?? (/xml/.test(String(req.headers.accept ?? '')) && !/json/.test(String(req.headers.accept ?? '')) ? 'xml' : 'json');
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const allow = (...methods: string[]) => {
    if (!methods.includes(method ?? '')) {
      res.setHeader('allow', methods.join(', '));
      throw new Open311Error(405, `${req.method} is not allowed on ${url.pathname}`);
    }
  };
  try {
    if (method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '86400' }).end();
      return true;
    }
    if (bare === '' || bare === '/discovery' || bare === '/v2' || bare === '/v2/discovery') {
      allow('GET');
      reply(req, res, 200, format, 'discovery', discovery(req, ctx));
    } else if (bare === '/v2/services') {
      allow('GET');
      reply(req, res, 200, format, 'services', services());
    } else if (bare.startsWith('/v2/services/')) {
      allow('GET');
      reply(req, res, 200, format, 'service_definition', serviceDefinition(bare.slice('/v2/services/'.length)));
    } else if (bare === '/v2/requests') {
      allow('GET', 'POST');
      if (method === 'GET') reply(req, res, 200, format, 'service_requests', await list(ctx, originOf(req), url.searchParams));
      else reply(req, res, 200, format, 'service_requests', await create(ctx, req));
    } else if (/^\/v2\/requests\/[^/]+$/.test(bare)) {
      allow('GET');
      reply(req, res, 200, format, 'service_requests', await single(ctx, originOf(req), url.searchParams.get('api_key'), bare.slice('/v2/requests/'.length)));
    } else if (/^\/v2\/tokens\/[^/]+$/.test(bare)) {
      allow('GET');
      throw new Open311Error(404, 'no such token: this endpoint is realtime, POST requests answers with the service_request_id');
    } else if (bare === '/v2/servicerequestupdates') {
      allow('GET', 'POST');
      if (method === 'GET') reply(req, res, 200, format, 'service_request_updates', await updates(ctx, url.searchParams));
      else reply(req, res, 200, format, 'service_request_updates', await postUpdate(ctx, req));
    } else if (/^\/v2\/media\/[0-9a-f]{64}$/.test(rest)) {
      allow('GET');
      await media(ctx, res, rest.slice('/v2/media/'.length));
    } else throw new Open311Error(404, `no such endpoint: ${url.pathname}; see ${ROOT}/discovery.json (GeoReport v2 lives under ${ROOT}/v2/)`);
  } catch (err) {
    if (err instanceof Open311Error) reply(req, res, err.status, format, 'errors', [{ code: err.status, description: err.message }]);
    else if (req.destroyed) res.destroy();
    else {
      log.error({ err }, 'open311 failed');
      reply(req, res, 500, format, 'errors', [{ code: 500, description: 'internal error' }]);
    }
  }
  return true;
}

/** This server as the client reached it (only host characters kept: it is echoed into answers). */
function originOf(req: IncomingMessage): string {
  const host = String(req.headers.host ?? 'localhost').replace(/[^A-Za-z0-9.:[\]-]/g, '');
  return `${req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'}://${host}`;
}

/** The Service Discovery document: where GeoReport v2 lives here, and in which formats. */
function discovery(req: IncomingMessage, ctx: Open311Context) {
  return {
    changeset: CHANGESET,
    contact: 'The operator of this Minsheng deployment',
    key_service: ctx.publicReads ? 'Reads need no key; to file requests, ask the operator for an api_key' : 'Ask the operator of this deployment for an api_key',
    endpoints: [{ specification: 'http://wiki.open311.org/GeoReport_v2', url: `${originOf(req)}${ROOT}/v2`, changeset: CHANGESET, type: 'production', formats: ['text/xml', 'application/json'] }],
  };
}

function serviceDefinition(raw: string) {
  let code = raw;
  try {
    code = decodeURIComponent(raw);
  } catch {
    // A malformed escape names no service either.
  }
  if (!SERVICE_CODES.has(code)) throw new Open311Error(404, `no such service_code: ${code}`);
  // No service asks for attributes beyond the spec's fields (metadata: false).
  return { service_code: code, attributes: [] };
}

/** The partner a key belongs to, or a 403. */
function partner({ keys }: Open311Context, key: string | null | undefined): string {
  const name = key ? keys.get(key) : undefined;
  if (!name) throw new Open311Error(403, 'a valid api_key is required');
  return name;
}

/** A read: with a valid key, or without one where reads are public. A wrong key is refused either way. */
function reader(ctx: Open311Context, key: string | null): void {
  if (key === null || key === '') {
    if (!ctx.publicReads) throw new Open311Error(403, 'a valid api_key is required');
  } else partner(ctx, key);
}

const fromPartner = (a: AppealProjection) => a.createdBy.startsWith('open311:');

/** What a request's answer needs beyond its projection: the whole description, and the partner's public photo. */
async function details(ctx: Open311Context, origin: string, a: AppealProjection, contact: Contact | null): Promise<{ description: string; mediaUrl: string }> {
  const doc = docFromUpdates(await ctx.store.docParts(a.id));
  try {
    const { description, fields } = readAppeal(doc, a.id);
    let mediaUrl = '';
    if (fromPartner(a) && Array.isArray(fields.attachments)) {
      for (const ref of fields.attachments as AttachmentRef[]) {
        const file = await ctx.store.file(ref.hash);
        if (file && isPartnerUpload(file.uploadedBy) && file.type.startsWith('image/')) {
          mediaUrl = `${origin}${ROOT}/v2/media/${ref.hash}`;
          break;
        }
      }
    }
    // Contacts stay off every answer, even where a citizen typed them into the text.
    return { description: scrubPublicText(description || a.title, contact), mediaUrl };
  } finally {
    doc.destroy();
  }
}

async function asRequests(ctx: Open311Context, origin: string, rows: AppealProjection[]) {
  const { places } = ctx;
  const contacts = await ctx.store.contacts(rows.map((a) => a.id));
  const out = [];
  for (const a of rows) {
    const { description, mediaUrl } = await details(ctx, origin, a, contacts.get(a.id) ?? null);
    out.push({
      service_request_id: a.id,
      status: isOpen(a.status) ? 'open' : 'closed',
      status_notes: label(`status.${a.status}`),
      service_name: label(`category.${a.category}`),
      service_code: a.category,
      description,
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
      media_url: mediaUrl,
    });
  }
  return out;
}

/** A date-time query parameter, or null when absent or empty. */
function dateParam(params: URLSearchParams, name: string): number | null {
  const v = params.get(name)?.trim();
  if (!v) return null;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Open311Error(400, `${name} must be an ISO 8601 date-time`);
  return t;
}

async function list(ctx: Open311Context, origin: string, params: URLSearchParams) {
  reader(ctx, params.get('api_key'));
  // The spec: given ids, every other filter is ignored.
  const ids = commaList(params.get('service_request_id'));
  if (ids) return asRequests(ctx, origin, await byIds(ctx, ids.slice(0, MAX_RESULTS)));
  const end = dateParam(params, 'end_date') ?? Date.now() + DAY;
  // The spec's default window: the last 90 days.
  const start = dateParam(params, 'start_date') ?? end - 90 * DAY;
  const codes = commaList(params.get('service_code'));
  const statuses = commaList(params.get('status'));
  if (statuses?.some((s) => !isOpen311Status(s))) throw new Open311Error(400, 'status must be open, closed, or a comma list of them');
  const rows = (await ctx.store.exportRows([ctx.region], undefined, start, end))
    .filter((a) => (!codes || codes.includes(a.category)) && (!statuses || statuses.includes(isOpen(a.status) ? 'open' : 'closed')))
    .reverse()
    .slice(0, MAX_RESULTS);
  return asRequests(ctx, origin, rows);
}

async function byIds({ store, region }: Open311Context, ids: string[]): Promise<AppealProjection[]> {
  return (await store.appealsById(ids.filter((id) => /^[0-9a-f-]{36}$/.test(id))))
    .filter((a) => a.village.startsWith(region))
    .sort((a, b) => b.createdAt - a.createdAt);
}

async function single(ctx: Open311Context, origin: string, apiKey: string | null, id: string) {
  reader(ctx, apiKey);
  const found = await byIds(ctx, [id]);
  if (found.length === 0) throw new Open311Error(404, 'no such service request');
  return asRequests(ctx, origin, found);
}

/** Where a request is filed: its village, and the desk that places it when the village is a guess. */
interface Filing {
  village: string;
  desk: 'county' | 'city' | null;
  note: string | null;
}

function locate(ctx: Open311Context, f: Record<string, string>, gps: { lat: number; lng: number } | null): Filing {
  const { where, villages, places } = ctx;
  const top: 'county' | 'city' = topDeskRole(defaultPolicy(ctx.policy)) === 'city_dispatcher' ? 'city' : 'county';
  if (f.address_id) {
    if (!villages.has(f.address_id)) throw new Open311Error(400, 'address_id must be a 12-digit village code of this deployment');
    return { village: f.address_id, desk: null, note: null };
  }
  if (gps) {
    const at = placeOf(gps, where);
    if (at.level === 'outside') throw new Open311Error(400, 'lat/long lies outside the area this server serves');
    if (at.level === 'village') return { village: at.code, desk: null, note: null };
    return { village: where.firstVillage.get(at.code)!, desk: 'county', note: `${NOTE.town}${places.get(at.code) ?? at.code}` };
  }
  if (f.address_string) {
    const named = placeNamed(f.address_string, where.named);
    const village = named?.level === 'village' ? named.code : named ? where.firstVillage.get(named.code) : where.anyVillage;
    if (!village) throw new Open311Error(400, 'address_string names no place this server serves');
    // Words are read by a person: a dispatcher confirms the place before anyone is sent.
    return { village, desk: named ? 'county' : top, note: null };
  }
  throw new Open311Error(400, 'a location is required: lat and long, address_string, or address_id');
}

async function create(ctx: Open311Context, req: IncomingMessage) {
  const { fields: f, media } = await readOpen311Body(req);
  // The spec puts the key in the body; some clients put it in the query string.
  const name = partner(ctx, f.api_key ?? new URL(req.url ?? '/', 'http://local').searchParams.get('api_key'));
  if (!f.service_code) throw new Open311Error(400, 'service_code is required (see services.xml)');
  if (!SERVICE_CODES.has(f.service_code)) throw new Open311Error(404, `no such service_code: ${f.service_code}`);
  const coords = coordinates(f.lat ?? null, f.long ?? null);
  if (!coords.ok) throw new Open311Error(400, coords.error);
  const filing = locate(ctx, f, coords.gps);
  const citizen = citizenFrom(f.first_name ?? null, f.last_name ?? null, f.phone ?? null);
  const description = descriptionFrom(f.description ?? label(`category.${f.service_code}`), [
    { label: NOTE.town, value: filing.note?.slice(NOTE.town.length) ?? null },
    { label: NOTE.address, value: f.address_string ?? null },
    { label: NOTE.photo, value: f.media_url ?? null },
  ]);
  if (media && !ctx.dataDir) throw new Open311Error(415, 'this server takes no photos through Open311; send media_url');
  const photo = media ? await storeOpen311Photo(ctx.store, ctx.dataDir!, media, name) : null;
  // A phone from another country is kept as given: the app's own check knows Chinese numbers only.
  const checkedCitizen = citizen.phone && !isPhone(citizen.phone) ? { ...citizen, phone: undefined } : citizen;
  const checked = validateAppealInput(
    {
      channel: 'online_opinion',
      category: f.service_code,
      kind: 'help',
      urgency: 'yellow',
      villageCode: filing.village,
      description,
      citizen: checkedCitizen.anonymous || checkedCitizen.name || checkedCitizen.phone ? stripUndefined(checkedCitizen) : { anonymous: true },
      gps: coords.gps,
      ...(photo && { attachments: [photo] }),
    },
    (c) => ctx.villages.has(c),
  );
  if (!checked.ok) throw new Open311Error(400, Object.entries(checked.errors).map(([k, v]) => `${k}: ${v}`).join('; '));
  const input: AppealInput = { ...checked.value, citizen };
  const role: Role = filing.desk === 'city' ? 'city_dispatcher' : filing.desk === 'county' ? 'county_dispatcher' : topDeskRole(defaultPolicy(ctx.policy));
  // `desk` makes it wait at that dispatcher's desk (src/core/intake-desk.ts) rather than the village's.
  const actor = { id: `open311:${name}`, role, ...(filing.desk && { desk: filing.desk }) };
  const { id } = await recordOnServer(ctx.store, ctx.bus, ctx.policy, input, actor);
  // The server received the bytes itself: officials who may see the appeal may open the photo.
  if (photo) await ctx.store.inPushTx((tx) => tx.vouchAttachment(id, photo.hash, ['']));
  return [{ service_request_id: id, service_notice: label('open311.received'), account_id: null }];
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

async function updates(ctx: Open311Context, params: URLSearchParams) {
  reader(ctx, params.get('api_key'));
  const end = dateParam(params, 'end_date') ?? Date.now() + DAY;
  const start = dateParam(params, 'start_date') ?? end - 7 * DAY;
  if (start > end) throw new Open311Error(400, 'start_date must not be after end_date');
  return requestUpdates(ctx.store, { region: ctx.region, start, end, limit: MAX_RESULTS, statusWords: (s: Status) => label(`status.${s}`), fromPartner });
}

/** A partner's update on a request it filed (FixMyStreet posts its users' comments): kept as a comment for the officials. */
async function postUpdate(ctx: Open311Context, req: IncomingMessage) {
  const { fields: f } = await readOpen311Body(req);
  const name = partner(ctx, f.api_key ?? new URL(req.url ?? '/', 'http://local').searchParams.get('api_key'));
  if (!f.service_request_id || !f.description) throw new Open311Error(400, 'service_request_id and description are required');
  const [appeal] = await byIds(ctx, [f.service_request_id]);
  if (!appeal) throw new Open311Error(404, 'no such service request');
  const device = `open311:${name}`;
  const eventId = newId();
  const note = [f.description, f.media_url && `${NOTE.photo}${f.media_url}`].filter(Boolean).join('\n\n').slice(0, MAX_EVENT_NOTE_CHARS);
  const role = topDeskRole(defaultPolicy(ctx.policy));
  const added = await appendOnServer(ctx.store, ctx.bus, ctx.policy, appeal.id, device, () => ({ id: eventId, type: 'commented', actor: device, role, at: Date.now(), note }));
  if (!added) throw new Open311Error(409, 'the update could not be added');
  return [{ update_id: eventId }];
}

async function media(ctx: Open311Context, res: ServerResponse, hash: string): Promise<void> {
  const photo = ctx.dataDir ? await publicPhoto(ctx.store, ctx.dataDir, ctx.region, hash) : null;
  if (!photo) throw new Open311Error(404, 'no such public photo');
  res.writeHead(200, {
    'content-type': photo.type,
    'content-length': String(photo.bytes.byteLength),
    'cache-control': 'public, max-age=86400',
    'access-control-allow-origin': '*',
    // The partner's site shows it, as it shows the photo it sent.
    'cross-origin-resource-policy': 'cross-origin',
  });
  res.end(photo.bytes);
}
