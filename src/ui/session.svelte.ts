import { loadClockOffset } from '../store/clock';
import type { Region } from '../core/regions';
import type { SessionUser } from '../core/roles';
import { openDb } from '../store/db';
import { forgetSession, keepLogin } from '../store/device-session';
import { deviceId, getMeta, setMeta } from '../store/meta';
import { adoptPolicy, loadPolicy } from '../store/policy';
import { parsePolicy } from '../core/deadline';
import { parseKeywords } from '../core/classify';
import { SyncEngine, type SyncStatus } from '../sync/engine';
import { createUploader } from '../sync/uploads';
import { createUsageCounter, readUsage } from '../store/data-usage';
import { originalUploadSetting } from '../store/files';
import { linkInfo, onLinkChange } from './link-info';
import { askPersist } from './storage.svelte';
import { loadSubcenters, refreshSubcenters } from './subcenters.svelte';
import { refreshArticles } from '../store/articles';

export interface Session {
  /** Short-lived signed access token. */
  token: string;
  expiresAt: number;
  /** Opaque, rotating; trades for a new access token while the session lasts. */
  refreshToken: string;
  refreshExpiresAt: number;
  user: SessionUser;
}

export const db = openDb();

/** App-wide state the components read. */
export const app = $state({
  ready: false,
  session: null as Session | null,
  sync: { link: 'offline', lastSyncedAt: null, error: null, needsLogin: false } as SyncStatus,
});

let engine: SyncEngine | null = null;
/** Attachments go up over HTTP beside the socket, whenever the socket says the link is up. */
/** Bytes moved this month (Settings shows them): sync frames, file chunks, downloads. */
export const dataUsage = createUsageCounter(db);
/** This month's and last month's bytes, with what is counted so far written first. */
export async function dataUsageByMonth() {
  await dataUsage.flush();
  return readUsage(db);
}
// Originals wait for a link the budget allows (core/media-budget.ts); previews go at once.
const uploader = createUploader(db, (path, init) => authFetch(path, init), { link: linkInfo, setting: () => originalUploadSetting(db), onBytes: dataUsage.count });

function syncUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`;
}

let refreshing: Promise<string | null | undefined> | null = null;

/**
 * Trades the refresh token for a new session: the new access token, null if it ended,
 * undefined when offline. Concurrent callers share one exchange: a refresh token works once.
 */
export function refreshSession(): Promise<string | null | undefined> {
  refreshing ??= exchangeRefresh().finally(() => (refreshing = null));
  return refreshing;
}

async function exchangeRefresh(): Promise<string | null | undefined> {
  const current = app.session;
  if (!current?.refreshToken) return null;
  let res: Response;
  try {
    res = await fetch('/api/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: current.refreshToken }) });
  } catch {
    return undefined;
  }
  if (res.status === 401) return null;
  if (!res.ok) return undefined;
  const { policy: _policy, ...next } = (await res.json()) as Session & { policy: unknown };
  await setMeta(db, 'session', next);
  app.session = next;
  return next.token;
}

/** Keeps the county's keyword library on the device, so suggestions work offline. */
async function refreshKeywords(): Promise<void> {
  try {
    const res = await authFetch('/api/keywords');
    if (!res.ok) return;
    const parsed = parseKeywords(((await res.json()) as { rules?: unknown }).rules);
    if (parsed.ok) await setMeta(db, 'keywords', parsed.rules);
  } catch {
    // Offline: the copy kept from last time (or the seeded library) serves.
  }
}

/** Keeps the roster of mediators serving the user's area, so a dispute can be sent to one offline. */
async function refreshMediators(): Promise<void> {
  try {
    const res = await authFetch('/api/mediators');
    if (res.ok) await setMeta(db, 'mediators', ((await res.json()) as { mediators: unknown[] }).mediators);
  } catch {
    // Offline: the roster kept from last time serves.
  }
}

/**
 * Keeps the open suggestion campaigns and upcoming reception slots on the device, so a grid
 * worker offline can tie a suggestion to a campaign or book a place for a citizen.
 */
export async function refreshCivic(): Promise<void> {
  try {
    const [campaigns, slots] = await Promise.all([authFetch('/api/campaigns'), authFetch('/api/reception/slots')]);
    if (campaigns.ok) await setMeta(db, 'campaigns', ((await campaigns.json()) as { campaigns: unknown[] }).campaigns);
    if (slots.ok) await setMeta(db, 'slots', ((await slots.json()) as { slots: unknown[] }).slots);
  } catch {
    // Offline: the lists kept from last time serve.
  }
}

/** REST with the access token, refreshed once when it has expired. */
export async function authFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const call = () => fetch(path, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${app.session?.token ?? ''}` } });
  const res = await call();
  if (res.status !== 401) return res;
  return (await refreshSession()) ? call() : res;
}

// The heartbeat that catches a silently dead link costs a few bytes every 2 s, so it runs only
// while someone is looking: the page visible and touched in the last minute.
const HEARTBEAT_MS = 2_000;
const ATTENTION_MS = 60_000;
let touchedAt = Date.now();
for (const type of ['pointerdown', 'keydown', 'scroll'] as const) window.addEventListener(type, () => (touchedAt = Date.now()), { capture: true, passive: true });
// The wall screen (#/wall) is watched from across the room and never touched: it always counts as looked at.
const attentive = () => document.visibilityState === 'visible' && (Date.now() - touchedAt < ATTENTION_MS || location.hash.startsWith('#/wall'));

async function startEngine(session: Session): Promise<void> {
  engine?.stop();
  engine = new SyncEngine({ db, url: syncUrl(), token: session.token, deviceId: await deviceId(db), refresh: refreshSession, heartbeatMs: HEARTBEAT_MS, attentive, onBytes: dataUsage.count, fetcher: authFetch });
  let wasOnline = false;
  engine.subscribe((s) => {
    // Changes came in: one may ask for an original this phone holds (original_requested).
    if (s.link === 'online' && wasOnline && s.lastSyncedAt !== app.sync.lastSyncedAt) void uploader.kick();
    app.sync = s;
    // Each time the link comes up: send waiting attachments, refresh the keyword library.
    const online = s.link === 'online';
    if (online && !wasOnline) {
      void uploader.kick();
      void refreshKeywords();
      void refreshCivic();
      void refreshMediators();
      // The sub-centers' names too, for the desks an escalation goes to.
      void refreshSubcenters(db, authFetch);
      // Policy articles for the user's area, to show in a village with no signal (为您服务).
      void refreshArticles(db, authFetch);
      // Hand-over: this phone's signing key registered (once), carried bundles relayed; loaded only now, off the first page.
      void import('./handover.svelte').then((h) => h.handoverOnline(session.user.id)).catch(() => undefined);
    }
    wasOnline = online;
  });
  engine.start();
}

/** Restores the last session from IndexedDB: a grid worker offline keeps working with it. */
export async function boot(): Promise<void> {
  // A first visit signs in before the app mounts (Shell.svelte): that session is running already.
  app.session ??= (await getMeta<Session>(db, 'session')) ?? null;
  await Promise.all([loadPolicy(db), loadClockOffset(db), loadSubcenters(db)]);
  if (app.session && !engine) await startEngine(app.session);
  app.ready = true;
  // Ask the browser not to evict our data under storage pressure.
  void askPersist();
  window.addEventListener('online', () => engine?.kick());
  // Walking into WLAN may let held originals go.
  onLinkChange(() => app.sync.link === 'online' && void uploader.kick());
  // The phone knows it lost its network before any socket does: say so at once.
  window.addEventListener('offline', () => engine?.dropLink());
}

export class LoginError extends Error {
  /** Seconds the server asks to wait (Retry-After), when it throttled the login. */
  constructor(message: string, readonly retryAfter?: number) {
    super(message);
  }
}

export async function login(username: string, password: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  } catch {
    throw new LoginError('offline');
  }
  if (res.status === 401) throw new LoginError('failed');
  if (res.status === 429) throw new LoginError('throttled', Number(res.headers.get('retry-after')) || undefined);
  if (!res.ok) throw new LoginError('offline');
  const { policy, ...session } = (await res.json()) as Session & { policy: unknown };
  const parsed = parsePolicy(policy);
  const regions = await fetch('/api/regions', { headers: { authorization: `Bearer ${session.token}` } });
  if (!regions.ok) throw new LoginError('offline');
  const { regions: list } = (await regions.json()) as { regions: Region[] };
  await keepLogin(db, list, session);
  if (parsed.ok) await adoptPolicy(db, parsed.policy);
  app.session = session;
  await startEngine(session);
}

/** Ends the session on this device. Unsent records stay in the outbox for the next login. */
export async function logout(): Promise<void> {
  const token = app.session?.token;
  engine?.stop();
  engine = null;
  await forgetSession(db);
  app.session = null;
  if (token) fetch('/api/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } }).catch(() => {});
}

/** Nudges the engine after a local write so it is pushed at once when online. */
export function kickSync(): void {
  engine?.kick();
  if (app.sync.link === 'online') void uploader.kick();
}
