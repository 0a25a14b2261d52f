import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config';
import { createApi } from './http/api';
import { bearerAuth } from './http/plumbing';
import { createUploads } from './http/uploads';
import { startUplink, type Uplink } from './uplink/client';
import { createBoard } from './http/board';
import { createCivicPages } from './http/civic-public';
import { createInfoPages } from './http/info-public';
import { createQa } from './http/qa';
import { createPointsPages } from './http/points';
import { createCodeFinder, createPublicPages } from './http/public';
import { createOpen311 } from './http/open311';
import { securityHeaders } from './http/headers';
import { createStaticHandler } from './http/static';
import { ensureSeeded, type SeedResult } from './services/seed';
import { seedDemoOnce } from './services/demo/seed';
import { openStore } from './store';
import type { Store } from './store/types';
import { createCommitBus, createNotifiedBus, type CommitBus } from './sync/bus';
import { createSyncHub, type HubOptions, type SyncHub } from './sync/hub';
import { createRelayLinks } from './sync/relay-links';
import { createRooms } from './sync/rooms';
import { createTickets } from './sync/tickets';
import { startDeadlineScanner } from './jobs/deadlines';
import { startUploadSweeper } from './jobs/uploads';
import { startReportIssuer } from './jobs/weekly-reports';
import { createRevocations } from './services/revocations';
import { createTokenService } from './services/tokens';
import { reprojectIfPolicyChanged } from './jobs/reproject';
import { fillOwnMinutes } from './jobs/own-minutes';
import { createMetrics } from './metrics';
import { createHealth } from './http/health';
import { startSmsGateway, type SmsGateway } from './sms/gateway';
import { loadOpen311Places } from './http/open311-places';
import { createDeputies } from './http/deputies';
import { createHandoverRoutes } from './http/handover';
import { stampClientIp } from './net/address';
import { createOpsStatusRoutes } from './http/ops-status';
import { errorSeen } from './ops/journal';
import { log, pathShape } from './log';

export interface RunningServer {
  url: string;
  store: Store;
  bus: CommitBus;
  seed: SeedResult;
  /** The sync hub (tests and monitoring read how many sockets wait for a welcome). */
  hub: SyncHub;
  /** A county server's uplink to its city, when configured (MINSHENG_UPSTREAM). */
  uplink: Uplink | null;
  /** Replies by SMS over SMPP, when configured (MINSHENG_SMPP_URL). */
  sms: SmsGateway | null;
  close(): Promise<void>;
  /**
   * Test-only: stops as a killed process would as far as one process can — every socket cut
   * at once (acks of pushes under way are lost) and the store left as it is: not closed, so
   * SQLite's log is not checkpointed and the next server recovers it from disk.
   */
  crash(): Promise<void>;
}

/** One process: the built PWA, the REST API and the sync hub on one port. */
export async function startServer(config: Config, given?: Store, hubOptions: HubOptions = {}): Promise<RunningServer> {
  // MINSHENG_METRICS_TOKEN turns metrics on; then every store call is timed by method (server/metrics.ts).
  const metrics = config.metricsToken ? createMetrics() : null;
  const opened = given ?? (await openStore(config));
  const store = metrics ? metrics.timedStore(opened) : opened;
  const seed = await ensureSeeded(store, config.region.code, config.subcenters, config.seedAccounts);
  const { villages, places } = await regionPlaces(store, config.region.prefix);
  const tickets = createTickets();
  // Instances sharing PostgreSQL hear each other's commits through it; alone, in process.
  const bus: CommitBus = store.subscribeCommits ? await createNotifiedBus(store) : createCommitBus();
  const tokens = createTokenService(store, { accessMinutes: config.accessMinutes, sessionDays: config.sessionDays });
  const revocations = createRevocations();
  // A county server with a city above it takes in what the city has of its county (issue 25).
  const uplink = config.upstream ? startUplink({ store, bus, policy: config.policies, config: config.upstream }) : null;
  const relayLinks = createRelayLinks();
  // Online Q&A sessions (issue 29): public pages here, staff routes inside the API's table.
  // Deputies' columns (issue 29): public pages, the report and the body setting.
  const deputies = createDeputies({ store, region: config.region.prefix, places, authed: bearerAuth(tokens) });
  const qa = createQa({ store, bus, policy: config.policies, villages, places, authed: bearerAuth(tokens) });
  // Village points (issue 29): the public board per village, and the report route.
  const points = createPointsPages({ store, villages, places, authed: bearerAuth(tokens) });
  // Hand-over without a network (issue 30, item 2): device keys, relayed bundles, what they came to.
  const handover = createHandoverRoutes({ store, bus, policy: config.policies, villages, authed: bearerAuth(tokens), ...(hubOptions.compactAfterRows !== undefined && { compactAfterRows: hubOptions.compactAfterRows }) });
  // The administrator's status page (issue 31); the hub it counts starts below.
  const opsStatus = createOpsStatusRoutes({ store, config, authed: bearerAuth(tokens), connections: () => hub.connections() });
  const api = createApi({ store, config, tickets, tokens, revocations, uplink, relayLinks, routes: { ...deputies.routes, ...qa.routes, ...points.routes, ...handover, ...opsStatus } });
  const uploads = createUploads({ store, dataDir: config.dataDir, authed: bearerAuth(tokens), limits: config.uploads, metrics });
  const serveStatic = config.staticDir ? createStaticHandler(config.staticDir) : null;
  // Each county's policy wherever an appeal's due dates are derived or its steps judged.
  await reprojectIfPolicyChanged(store, config.policies);
  const ownFilled = await fillOwnMinutes(store, config.policies);
  if (ownFilled > 0) log.info({ job: 'own handling minutes', appeals: ownFilled }, 'own handling minutes filled');
  const hub = createSyncHub({ store, villages, policy: config.policies, tokens, revocations, bus, relayLinks, metrics }, { ...hubOptions, preAuth: { ...config.syncPreAuth, ...hubOptions.preAuth } });
  const rooms = createRooms(store, villages, bus, tickets, config.policies, revocations);
  // Logging out closes that session's sockets on this instance (see server/services/revocations.ts for the others).
  const unsubscribeSessions = revocations.subscribeSessions((sid) => {
    hub.closeSession(sid);
    rooms.closeSession(sid);
  });
  metrics?.watch({ connections: () => hub.connections(), uplink: uplink && (() => ({ live: uplink.status().state === 'live', pendingUp: uplink.status().pendingUp })) });
  const stopScanner = startDeadlineScanner(store, bus, config.policies, config.scanIntervalMs, metrics);
  const stopSweeper = startUploadSweeper(uploads.sweep, config.uploads.sweepIntervalMs);
  const find = createCodeFinder(store);
  const publicPages = createPublicPages({ store, bus, policy: config.policies, find, places });
  const board = createBoard({ store, places });
  const civicPages = createCivicPages({ store, bus, policy: config.policies, find, villages, places });
  // Policy information and the contact cards (issue 29).
  const infoPages = createInfoPages({ store, places, villages });
  const open311 = createOpen311({ store, bus, region: config.region.prefix, regionCode: config.region.code, villages, places, policy: config.policies, keys: config.open311Keys, dataDir: config.dataDir, publicReads: config.open311Public });
  // Replies by SMS (issue 29): binds to the SMSC and drains its outbox; off without MINSHENG_SMPP_URL.
  const sms = config.sms ? await startSmsGateway({ store, bus, policy: config.policies, config: config.sms, where: loadOpen311Places(config.region.code, villages, places) }) : null;

  let closing = false;
  const health = createHealth({ store, metrics: metrics && config.metricsToken ? { metrics, token: config.metricsToken } : null, closing: () => closing });
  const headers = Object.entries(securityHeaders(config.tiles?.origin ?? null));
  const listener = requestListener({ headers, health, open311, pages: [deputies.pages, board, civicPages, qa.pages, infoPages, points.pages, publicPages], uploads, api, serveStatic });
  const server: Server = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    stampClientIp(req, config.trustedProxies);
    logRequest(req, res);
    listener(req, res);
  });
  server.on('upgrade', (req, socket, head) => {
    stampClientIp(req, config.trustedProxies);
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (path === '/sync') return hub.handleUpgrade(req, socket, head);
    if (path.startsWith('/room/')) return void rooms.handleUpgrade(req, socket, head);
    socket.destroy();
  });
  await listen(server, config.port, config.host);
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  // The demo county goes in through this server's own hub and API, as its people's devices would put it.
  if (config.demo && seed.seededNow) seed.demo = await seedDemoOnce({ url, store, bus, policies: config.policies });
  // Started after the demo is in, so a fresh demo's first report holds its history.
  const stopReports = startReportIssuer(store, { policy: config.policy, scorecard: config.scorecard }, config.region.prefix, config.reportIntervalMs);
  return {
    url,
    store,
    bus,
    seed,
    hub,
    uplink,
    sms,
    close: () => stop(true),
    crash: () => stop(false),
  };

  function stop(closeStore: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      // /readyz says 503 from here on, to whoever still reaches it.
      closing = true;
      stopScanner();
      stopSweeper();
      stopReports();
      unsubscribeSessions();
      const pushing = Promise.all([hub.close(), uplink?.stop(), sms?.stop()]);
      rooms.close();
      server.close(() => void pushing.then(() => bus.close?.()).then(() => (closeStore ? store.close() : undefined)).then(resolve, resolve));
      server.closeAllConnections();
    });
  }
}

/**
 * The deployment's villages, and its place names for the pages that print them (the division
 * list is seeded once): everything under its prefix, a city's 4 digits or a county's 6.
 */
async function regionPlaces(store: Store, prefix: string): Promise<{ villages: Set<string>; places: ReadonlyMap<string, string> }> {
  const regions = await store.regionsUnder([prefix]);
  const villages = new Set(regions.filter((r) => r.level === 'village').map((r) => r.code));
  const places: ReadonlyMap<string, string> = new Map(regions.map((r) => [r.code, r.name]));
  return { villages, places };
}

const requestIds = new WeakMap<IncomingMessage, string>();

/** The id a request is logged under, also sent back as X-Request-Id so a user's report can be matched to the log. */
function requestId(req: IncomingMessage): string {
  let id = requestIds.get(req);
  if (!id) requestIds.set(req, (id = randomBytes(6).toString('hex')));
  return id;
}

/**
 * One line per API, public-page and Open311 request when it finishes: method, path shape,
 * status, time. Static files and health probes are not logged (noise); nothing that names a
 * person is (see server/log.ts).
 */
function logRequest(req: IncomingMessage, res: ServerResponse): void {
  const reqId = requestId(req);
  res.setHeader('x-request-id', reqId);
  if (!/^\/(api|p|open311)(\/|\?|$)/.test(req.url ?? '')) return;
  const started = performance.now();
  res.once('finish', () => log.info({ reqId, method: req.method, path: pathShape(req.url), status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request'));
}

/** A handler that answers the requests it knows, and says whether it did. */
type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

interface HttpHandlers {
  /** Set on every answer. */
  headers: [string, string][];
  /** /healthz, /readyz and /metrics (server/http/health.ts). */
  health: Handler;
  open311: Handler;
  /** The public pages (`/p/…`, `/api/public/…`), asked in turn until one answers. */
  pages: Handler[];
  uploads: Handler;
  api: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  serveStatic: ReturnType<typeof createStaticHandler> | null;
}

/** Sends each plain HTTP request to the part of the server that answers its path. */
function requestListener({ headers, health, open311, pages, uploads, api, serveStatic }: HttpHandlers) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    for (const [k, v] of headers) res.setHeader(k, v);
    if (/^\/(healthz|readyz|metrics)(\?|$)/.test(req.url ?? '')) {
      void health(req, res).catch((err: unknown) => {
        log.error({ err, reqId: requestId(req) }, 'health check failed');
        errorSeen('health');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error');
      });
      return;
    }
    // Everything under /open311 (with or without a slash) is Open311's to answer, unknown paths included.
    if (/^\/open311(\/|\?|$)/.test(req.url ?? '')) {
      void open311(req, res).catch((err: unknown) => {
        log.error({ err, reqId: requestId(req) }, 'open311 failed');
        errorSeen('open311');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error');
      });
      return;
    }
    if (/^\/(p(\/|\?|$)|api\/public\/)/.test(req.url ?? '')) {
      void publicPage(pages, req, res).catch((err: unknown) => {
        // A page that fails answers 500; it must never take the process down with it.
        log.error({ err, reqId: requestId(req) }, 'public page failed');
        errorSeen('public');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error');
      });
      return;
    }
    if (req.url?.startsWith('/api/')) {
      void uploads(req, res).then((handled) => (handled ? undefined : api(req, res)));
      return;
    }
    if (serveStatic && (req.method === 'GET' || req.method === 'HEAD')) return serveStatic(req, res);
    res.writeHead(404).end();
  };
}

/** The first page handler that knows the path answers it; 404 when none does. */
async function publicPage(pages: Handler[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  for (const page of pages) if (await page(req, res)) return;
  res.writeHead(404).end();
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
}
