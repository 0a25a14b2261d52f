import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { ConfigError, loadConfig, parseMetricsToken } from '../../server/config';
import { dropPgSchema, openPgStore } from '../../server/store/postgres';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../src/core/protocol';
import { recordAppeal } from '../../src/store/appeals';
import { deviceId } from '../../src/store/meta';
import { device, login, until, type Device } from '../helpers/clients';
import { onPostgres, PG_URL, startTestServer, tempDir } from '../helpers/server';
import { startTcpProxy } from '../helpers/tcp-proxy';

// Issue 31: /healthz says the process serves, /readyz that its database answers, /metrics
// (off unless MINSHENG_METRICS_TOKEN is set, and then only with that token) counts the sync
// hub's work without a word about anyone.

const TOKEN = 'metrics-token-for-tests-0123456789';
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const QUIET = { MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REPORT_INTERVAL_MS: '0' };

const get = (server: RunningServer, path: string, headers: Record<string, string> = {}) => fetch(server.url + path, { headers });

/** One sample's value in Prometheus text (`name{labels} value`), or undefined when the series is absent. */
function sample(body: string, series: string): number | undefined {
  for (const line of body.split('\n')) {
    if (line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    if (line.slice(0, at) === series) return Number(line.slice(at + 1));
  }
  return undefined;
}

describe('health', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer(QUIET);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('/healthz and /readyz answer 200 with tiny bodies and no login', async () => {
    const health = await get(server, '/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, version: VERSION });
    const ready = await get(server, '/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true });
    expect(ready.headers.get('cache-control')).toBe('no-store');
  });

  it('answers only GET and HEAD', async () => {
    expect((await fetch(server.url + '/healthz', { method: 'POST' })).status).toBe(405);
    expect((await fetch(server.url + '/readyz', { method: 'HEAD' })).status).toBe(200);
  });

  it('/metrics is off (404) without MINSHENG_METRICS_TOKEN, whatever is sent', async () => {
    expect((await get(server, '/metrics')).status).toBe(404);
    expect((await get(server, '/metrics', { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
  });

  it.skipIf(onPostgres())('/readyz is 503 once the SQLite store is closed, while /healthz stays 200', async () => {
    const broken = await startTestServer(QUIET);
    try {
      expect((await get(broken, '/readyz')).status).toBe(200);
      await broken.store.close();
      const ready = await get(broken, '/readyz');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ok: false, reason: 'database_unreachable' });
      expect((await get(broken, '/healthz')).status).toBe(200);
    } finally {
      await broken.close();
    }
  }, 60_000);

  it.runIf(onPostgres())('/readyz is 503 while the line to PostgreSQL is down, and 200 again once it is back', async () => {
    const target = new URL(PG_URL);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const via = new URL(PG_URL);
    via.host = `127.0.0.1:${proxy.port}`;
    const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const config = loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_DEMO: '0', ...QUIET });
    const server = await startServer(config, await openPgStore(via.toString(), schema));
    try {
      expect((await get(server, '/readyz')).status).toBe(200);
      // Open connections drop; new ones hang, as to a database host that went away: the probe's timeout answers.
      proxy.cut();
      const ready = await get(server, '/readyz');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ok: false, reason: 'database_unreachable' });
      expect((await get(server, '/healthz')).status).toBe(200);
      proxy.restore();
      await until(async () => (await get(server, '/readyz')).status === 200, 15_000, 'ready again');
    } finally {
      proxy.restore();
      await server.close();
      await proxy.close();
      await dropPgSchema(PG_URL, schema);
    }
  }, 90_000);
});

describe('MINSHENG_METRICS_TOKEN', () => {
  it('is off when unset or empty, and refuses a short or spaced token with a clear error', () => {
    expect(loadConfig({ MINSHENG_STATIC_DIR: '' }).metricsToken).toBeNull();
    expect(parseMetricsToken('')).toBeNull();
    expect(parseMetricsToken(TOKEN)).toBe(TOKEN);
    expect(() => loadConfig({ MINSHENG_STATIC_DIR: '', MINSHENG_METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => parseMetricsToken('0123456789abcde')).toThrow(/at least 16 characters/);
    expect(() => parseMetricsToken('0123456789 abcdef')).toThrow(/without spaces/);
  });
});

describe('/metrics with a token', () => {
  const NAME = '钱多多';
  const PHONE = '13700002222';
  const DESCRIPTION = '村口路灯坏了三个月无人修理';
  let server: RunningServer;
  let grid: Device;
  const scrape = async () => {
    const res = await get(server, '/metrics', { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    // The scanner runs once at start (then hourly): its run is counted.
    server = await startTestServer({ MINSHENG_METRICS_TOKEN: TOKEN, MINSHENG_SCAN_INTERVAL_MS: '3600000', MINSHENG_REPORT_INTERVAL_MS: '0' });
  });
  afterAll(async () => {
    grid?.close();
    await server?.close();
  });

  it('refuses a scrape without the token, or with another (401)', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}X`, `Basic ${TOKEN}`, TOKEN]) {
      const res = await get(server, '/metrics', authorization ? { authorization } : {});
      expect(res.status, authorization ?? 'no header').toBe(401);
      expect(await res.text()).toBe('');
    }
  });

  it('answers Prometheus text with the token', async () => {
    const res = await get(server, '/metrics', { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    expect(body).toContain('# TYPE minsheng_sync_push_ack_seconds histogram');
    expect(sample(body, 'minsheng_sync_connected_devices')).toBe(0);
    expect(body).toContain('process_resident_memory_bytes');
  });

  it("counts a real device's push, its ack, its catch-up and its connection", async () => {
    const session = await login(server, 'grid');
    grid = await device(server, session);
    grid.engine.start();
    await grid.settled();
    const village = session.user.scope.regions[0]!;
    const recorded = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'disputes.wages', kind: 'help', urgency: 'red', villageCode: village, description: DESCRIPTION, citizen: { anonymous: false, name: NAME, phone: PHONE } }, grid.who);
    expect(recorded.ok).toBe(true);
    grid.engine.kick();
    await grid.settled();

    const body = await scrape();
    expect(sample(body, 'minsheng_sync_connected_devices')).toBe(1);
    expect(sample(body, 'minsheng_sync_push_items_accepted_total')).toBeGreaterThan(0);
    expect(sample(body, 'minsheng_sync_push_ack_seconds_count')).toBeGreaterThan(0);
    expect(sample(body, 'minsheng_sync_catchup_bytes_total')).toBeGreaterThan(0);
    expect(sample(body, 'minsheng_db_seconds_count{family="inPushTx",outcome="ok"}')).toBeGreaterThan(0);
    await until(async () => (sample(await scrape(), 'minsheng_deadline_scans_total{outcome="ok"}') ?? 0) >= 1, 15_000, 'a deadline scan counted');

    // Nothing about anyone: not the citizen, not the text, not the user, device or document.
    const docId = (recorded as { value: { id: string } }).value.id;
    for (const secret of [NAME, PHONE, DESCRIPTION, session.user.username, session.user.id, docId, session.token, await deviceId(grid.db)]) {
      expect(body.includes(secret), `metrics mention ${secret}`).toBe(false);
    }

    grid.close();
    await until(async () => sample(await scrape(), 'minsheng_sync_connected_devices') === 0, 15_000, 'device gone from the gauge');
  }, 60_000);

  it('counts a refused item under its reason', async () => {
    const { token } = await login(server, 'grid');
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/sync');
    ws.binaryType = 'arraybuffer';
    const messages: ServerMessage[] = [];
    ws.on('message', (d: ArrayBuffer) => messages.push(decodeServerFrame(new Uint8Array(d))));
    await new Promise((r) => ws.on('open', r));
    ws.send(encodeFrame({ t: 'hello', token, deviceId: newId(), cursor: 0 } satisfies ClientMessage));
    await until(() => messages.some((m) => m.t === 'welcome'), 10_000, 'welcome');
    ws.send(encodeFrame({ t: 'push', batch: 1, items: [{ docId: newId(), seq: 1, update: new Uint8Array([0, 7, 7, 7]) }] } satisfies ClientMessage));
    await until(() => messages.some((m) => m.t === 'ack'), 10_000, 'ack');
    ws.close();
    const ack = messages.find((m): m is Extract<ServerMessage, { t: 'ack' }> => m.t === 'ack')!;
    expect(ack.rejected).toHaveLength(1);
    expect(sample(await scrape(), `minsheng_sync_push_items_refused_total{reason="${ack.rejected[0]!.reason}"}`)).toBe(1);
  });

  it('counts a finished upload', async () => {
    const { token } = await login(server, 'grid');
    const photo = new Uint8Array(64).map((_, i) => (i < 3 ? [0xff, 0xd8, 0xff][i]! : i));
    const hash = createHash('sha256').update(photo).digest('hex');
    const put = await fetch(`${server.url}/api/uploads/${hash}?offset=0`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'x-upload-type': 'image/jpeg', 'x-upload-size': String(photo.length), 'content-type': 'application/octet-stream' }, body: photo });
    expect(put.status).toBe(201);
    expect(sample(await scrape(), 'minsheng_uploads_total{outcome="stored"}')).toBe(1);
  });
});
