import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { appendOnServer, recordOnServer } from '../../server/services/intake';
import { newId } from '../../src/core/id';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { fold } from '../../src/core/fold';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { startTestServer } from '../helpers/server';

// The server driven the way FixMyStreet's Open311 client (perllib/Open311.pm) drives an
// endpoint: GET services.xml and services/<code>.xml, POST requests.xml as a form with
// lat/long (never a village code), first/last name split from the user's name, email, phone
// and a multi-line description; GET requests.xml by a comma list of ids; GET
// servicerequestupdates.xml with start_date and end_date; POST servicerequestupdates.xml with a
// user's comment; every answer parsed as XML the way it parses it (XML::Simple with the list
// elements forced to arrays), errors included (<errors><error><code/><description/>).

const KEY = 'fixmystreet-key-0123456789abcdef';
const JURISDICTION = 'lanling.example';
let server: RunningServer;
const endpoint = () => `${server.url}/open311/v2/`;

type XmlObject = { [k: string]: XmlNode };
type XmlNode = string | XmlObject | XmlNode[];
/** XML::Simple's shape as FixMyStreet configures it: these elements always arrays, an empty element undef. */
const FORCE_ARRAY = new Set(['service', 'attribute', 'value', 'request', 'error', 'request_update']);

/** Parses with a real XML parser (anything malformed throws), then shapes it like XML::Simple. */
function parseXml(xml: string): { root: string; obj: XmlObject } {
  const parser = new SaxesParser();
  const stack: { name: string; obj: XmlObject; text: string; hasChild: boolean }[] = [];
  let result: { root: string; obj: XmlNode } | null = null;
  parser.on('opentag', (tag) => {
    if (stack.length > 0) stack.at(-1)!.hasChild = true;
    stack.push({ name: tag.name, obj: {}, text: '', hasChild: false });
  });
  parser.on('text', (t) => {
    if (stack.length > 0) stack.at(-1)!.text += t;
  });
  parser.on('closetag', () => {
    const done = stack.pop()!;
    const value: XmlNode = done.hasChild ? done.obj : done.text;
    const parent = stack.at(-1);
    if (!parent) return void (result = { root: done.name, obj: value });
    const had = parent.obj[done.name];
    if (had === undefined) parent.obj[done.name] = FORCE_ARRAY.has(done.name) ? [value] : value;
    else if (Array.isArray(had)) had.push(value);
    else parent.obj[done.name] = [had, value];
  });
  parser.write(xml).close();
  const r = result as { root: string; obj: XmlNode } | null;
  if (!r) throw new Error('no root element');
  return { root: r.root, obj: typeof r.obj === 'string' ? {} : (r.obj as XmlObject) };
}

/** LWP's GET with the query FixMyStreet builds (jurisdiction_id always). */
async function get(path: string, params: Record<string, string> = {}) {
  const url = new URL(path, endpoint());
  for (const [k, v] of Object.entries({ ...params, jurisdiction_id: JURISDICTION })) url.searchParams.set(k, v);
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, ...parseXml(text) };
}

/** HTTP::Request::Common's POST: a form body, with jurisdiction_id and api_key added. */
async function post(path: string, params: Record<string, string>) {
  const res = await fetch(new URL(path, endpoint()), { method: 'POST', body: new URLSearchParams({ jurisdiction_id: JURISDICTION, api_key: KEY, ...params }) });
  const text = await res.text();
  return { status: res.status, text, ...parseXml(text) };
}

/** Open311.pm's _process_error: "code: description" per error. */
const errorsOf = (obj: XmlObject) => (obj.error as XmlObject[]).map((e) => `${e.code}: ${e.description}`);

/** What FMS sends for a report (extended_description on: title, detail, url). */
const report = (lat: string, long: string, extra: Record<string, string> = {}) => ({
  service_code: 'infra.roads',
  description: 'Broken guard rail\n\nThe guard rail on the bridge <east side> is broken & dangerous at night.\n\nhttps://fms.example/report/42\n',
  first_name: 'John',
  last_name: 'Smith',
  email: 'john@example.org',
  phone: '+44 20 7946 0958',
  lat,
  long,
  ...extra,
});

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_OPEN311_KEYS: `fixmystreet:${KEY}` });
});
afterAll(() => server?.close());

describe('FixMyStreet against Open311 in XML', () => {
  it('reads the service list and a service definition', async () => {
    const list = await get('services.xml');
    expect(list.status).toBe(200);
    expect(list.type).toMatch(/^text\/xml; charset=utf-8/);
    expect(list.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(list.root).toBe('services');
    const services = list.obj.service as XmlObject[];
    expect(services).toHaveLength(16);
    expect(services.find((s) => s.service_code === 'infra.roads')).toMatchObject({ service_name: '道路交通', metadata: 'false', type: 'realtime' });
    const def = await get('services/infra.roads.xml');
    expect({ status: def.status, root: def.root, code: def.obj.service_code }).toEqual({ status: 200, root: 'service_definition', code: 'infra.roads' });
    const missing = await get('services/no.such.xml');
    expect(missing.status).toBe(404);
    expect(missing.root).toBe('errors');
    expect(errorsOf(missing.obj)[0]).toMatch(/^404: .*service_code/);
  });

  it('files a report by lat/long at the village it lies in, keeping the whole description and a foreign phone', async () => {
    // 200 m from 小仲村北村's point in the place data.
    const sent = await post('requests.xml', report('34.7725', '117.8790'));
    expect(sent.status).toBe(200);
    expect(sent.root).toBe('service_requests');
    const id = (sent.obj.request as XmlObject[])[0]!.service_request_id as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const back = await get('requests.xml', { api_key: KEY, service_request_id: `${id},0190a000-0000-7000-8000-000000000000` });
    expect(back.status).toBe(200);
    const [one, ...more] = back.obj.request as XmlObject[];
    expect(more).toHaveLength(0);
    expect(one).toMatchObject({ service_request_id: id, status: 'open', service_code: 'infra.roads', address_id: '371324102243', lat: '34.7725', long: '117.879' });
    // The whole description, escaped on the way and intact after parsing.
    expect(one!.description).toContain('The guard rail on the bridge <east side> is broken & dangerous at night.');
    expect(one!.description).toContain('https://fms.example/report/42');
    // Contacts are kept for the officials (the foreign phone as given), never served.
    expect(await server.store.contact(id)).toEqual({ name: 'John Smith', phone: '+44 20 7946 0958' });
    for (const secret of ['7946', 'john@example.org', 'Smith']) expect(back.text).not.toContain(secret);
  });

  it('places a point far from any village point in its town, waiting at the county desk to be placed', async () => {
    // 兰陵镇's seat: no village point lies within reach.
    const sent = await post('requests.xml', report('34.7446', '117.8509'));
    expect(sent.status).toBe(200);
    const id = (sent.obj.request as XmlObject[])[0]!.service_request_id as string;
    const [appeal] = await server.store.appealsById([id]);
    expect(appeal!.town).toBe('371324102000');
    expect(appeal!.tier).toBe('county');
  });

  it('keeps a report with only an address, for the dispatcher to place', async () => {
    const sent = await post('requests.xml', report('', '', { address_string: '兰陵镇 小仲村北村 东头桥' }));
    expect(sent.status).toBe(200);
    const id = (sent.obj.request as XmlObject[])[0]!.service_request_id as string;
    const [appeal] = await server.store.appealsById([id]);
    // Empty coordinates are no coordinates, never 0,0.
    expect([appeal!.lat, appeal!.lng]).toEqual([null, null]);
    expect(appeal!.village).toBe('371324102243');
    expect(appeal!.tier).toBe('county');
    const [one] = (await get('requests.xml', { api_key: KEY, service_request_id: id })).obj.request as XmlObject[];
    expect(one!.description).toContain('兰陵镇 小仲村北村 东头桥');
  });

  it('answers mistakes as XML errors with the spec status codes', async () => {
    const outside = await post('requests.xml', report('39.9042', '116.4074'));
    expect(outside.status).toBe(400);
    expect(errorsOf(outside.obj)[0]).toMatch(/^400: lat\/long lies outside/);
    const zero = await post('requests.xml', report('0', '0'));
    expect(zero.status).toBe(400);
    const unknown = await post('requests.xml', report('34.7725', '117.8790', { service_code: 'no.such' }));
    expect(unknown.status).toBe(404);
    const keyless = await get('requests.xml');
    expect(keyless.status).toBe(403);
    expect(errorsOf(keyless.obj)[0]).toMatch(/^403: .*api_key/);
    const token = await get('tokens/abc.xml');
    expect(token.status).toBe(404);
    expect(token.root).toBe('errors');
  });

  it('polls status changes and replies with start_date and end_date, and posts a comment', async () => {
    const start = new Date(Date.now() - 60_000).toISOString();
    const sent = await post('requests.xml', report('34.7725', '117.8790'));
    const id = (sent.obj.request as XmlObject[])[0]!.service_request_id as string;
    const act = async (event: object) => {
      const ok = await appendOnServer(server.store, server.bus, POLICY_PRESETS.linyi, id, 'test-official', () => ({ id: newId(), actor: 'official', role: 'town_official', at: Date.now(), ...event }) as never);
      expect(ok).toBe(true);
    };
    await act({ type: 'assigned', to: 'village', handler: newId() });
    await act({ type: 'replied', note: 'John Smith 您好：护栏已修复。联系电话 13912345678', via: 'online_opinion' });
    await act({ type: 'visited', satisfaction: 'satisfied' });
    await act({ type: 'closed' });
    const doc = docFromUpdates(await server.store.docParts(id));
    const folded = fold(readAppeal(doc, id).events, id);
    expect(folded.conflicts).toEqual([]);
    expect(folded.status).toBe('closed');

    const end = new Date(Date.now() + 60_000).toISOString();
    const polled = await get('servicerequestupdates.xml', { api_key: KEY, start_date: start, end_date: end });
    expect(polled.status).toBe(200);
    expect(polled.root).toBe('service_request_updates');
    const mine = (polled.obj.request_update as XmlObject[]).filter((u) => u.service_request_id === id);
    expect(mine.map((u) => u.external_status_code)).toEqual(['new', 'assigned', 'replied', 'visited', 'closed']);
    for (const u of mine) expect(u).toHaveProperty('update_id');
    expect(mine.at(-1)!.status).toBe('closed');
    const reply = mine.find((u) => u.external_status_code === 'replied')!.description as string;
    expect(reply).toContain('护栏已修复');
    expect(reply).not.toContain('13912345678');
    expect(reply).not.toContain('John Smith');
    // Nothing before start_date.
    const later = await get('servicerequestupdates.xml', { api_key: KEY, start_date: end, end_date: new Date(Date.now() + 120_000).toISOString() });
    expect(later.obj.request_update ?? []).toEqual([]);

    // A reply to a citizen who came some other way is not the partner's to read: only the status is told.
    const { id: own } = await recordOnServer(server.store, server.bus, POLICY_PRESETS.linyi, { channel: 'walk_in', category: 'infra.roads', kind: 'help', urgency: 'yellow', villageCode: '371324102243', description: '路面塌陷', citizen: { anonymous: false, name: '王五' } }, { id: 'desk-device', role: 'village_station' });
    const ownAct = (event: object) => appendOnServer(server.store, server.bus, POLICY_PRESETS.linyi, own, 'test-official', () => ({ id: newId(), actor: 'official', role: 'town_official', at: Date.now(), ...event }) as never);
    await ownAct({ type: 'assigned', to: 'village', handler: newId() });
    await ownAct({ type: 'replied', note: '王五：已安排修补', via: 'walk_in' });
    const others = ((await get('servicerequestupdates.xml', { api_key: KEY, start_date: start, end_date: new Date(Date.now() + 60_000).toISOString() })).obj.request_update as XmlObject[]).filter((u) => u.service_request_id === own);
    expect(others.map((u) => u.external_status_code)).toEqual(['new', 'assigned', 'replied']);
    expect(JSON.stringify(others)).not.toContain('已安排修补');

    const comment = await post('servicerequestupdates.xml', { service_request_id: id, status: 'OPEN', description: 'Still broken on the west side', first_name: 'John', last_name: 'Smith', update_id: '77', updated_datetime: new Date().toISOString() });
    expect(comment.status).toBe(200);
    expect((comment.obj.request_update as XmlObject[])[0]!.update_id).toMatch(/^[0-9a-f-]{36}$/);
    const again = docFromUpdates(await server.store.docParts(id));
    expect(readAppeal(again, id).events.at(-1)).toMatchObject({ type: 'commented', note: 'Still broken on the west side' });
  });
});
