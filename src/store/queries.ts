import type { RosterEntry } from '../core/mediation';
import { liveQuery, type Observable } from 'dexie';
import type { CampaignWithCounts } from '../core/campaign';
import type { KeywordRule } from '../core/classify';
import type { DeadlinePolicy } from '../core/deadline';
import { isOpen, OPEN_STATUSES } from '../core/fold';
import { gpsFixes, type LatLng, type PointCorrections } from '../core/geo';
import { regionInScope, type Scope } from '../core/roles';
import type { SlotWithBookings } from '../core/reception';
import { shortVillageName, type Region, type RegionLevel } from '../core/regions';
import { loadAppeal } from './appeals';
import type { AppealRow, ContactRow, FileRow, MeetingRow, MinshengDB, QuarantineRow } from './db';
import { pendingUploadBytes } from './files';
import { loadMeeting } from './meetings';
import { mapAppealsQuery, type MapAppeal } from './map-index';
import { getMeta, setMeta } from './meta';
import { currentPolicy } from './policy-cache';

// The row shapes the screens are handed, so a screen can name them without reaching into db.ts.
export type { AppealRow, MeetingRow } from './db';
export type { MapAppeal } from './map-index';

// What the screens read from the device's store, named for what each screen needs. The
// live ones are Dexie live queries: they re-run whenever a table they read changes (a local
// write, a sync), and a Svelte component reads them as stores (`$query`). Screens read the
// tables only through here.

// ---- Deadlines -----------------------------------------------------------------------------

/**
 * The deadline policy in use on this device for an appeal in `village` (its county's, else the
 * deployment's default; the default without a village). A plain read, not a live query: the
 * policies are held in memory (policy-cache.ts), not in a table, so Dexie has nothing to watch.
 */
export function deadlinePolicy(db: MinshengDB, village?: string): DeadlinePolicy {
  return currentPolicy(db, village);
}

// ---- Places --------------------------------------------------------------------------------

/** Every town, village and the city the device knows (the whole county). */
export function allRegions(db: MinshengDB): Observable<Region[]> {
  return liveQuery(() => db.regions.toArray());
}

/** The regions of the given levels, ordered by level, then code. */
export function regionsAt(db: MinshengDB, ...levels: RegionLevel[]): Observable<Region[]> {
  return liveQuery(() => db.regions.where('level').anyOf(levels).toArray());
}

/** Village code → short village name ("大仲村" for "大仲村村民委员会"), for lists. */
export function villageNames(db: MinshengDB): Observable<Map<string, string>> {
  return liveQuery(async () => new Map((await db.regions.where('level').equals('village').toArray()).map((r) => [r.code, shortVillageName(r.name)])));
}

/** The (first) county the device's division list holds, once regions are loaded. */
export function countyRegion(db: MinshengDB): Promise<Region | undefined> {
  return db.regions.where('level').equals('county').first();
}

// ---- Queues --------------------------------------------------------------------------------

// Lists and the map read rows `raw()`: without y-dexie's reading hook, which copies every row
// into a class only to give it the document property these screens never use.

/** Every appeal row on the device: the 'all' tab, special governance, and roles whose tabs hold closed appeals. */
export function queueRows(db: MinshengDB): Observable<AppealRow[]> {
  return liveQuery(() => db.appeals.toCollection().raw().toArray());
}

/** The open appeals only, through the status index: most tabs, however much closed history the device keeps. */
export function openQueueRows(db: MinshengDB): Observable<AppealRow[]> {
  return liveQuery(() => readOpenRows(db));
}

/** One index range per status: Dexie's anyOf walks a cursor with jumps, many times slower than a getAll per key. */
export async function readOpenRows(db: MinshengDB): Promise<AppealRow[]> {
  return (await Promise.all(OPEN_STATUSES.map((s) => db.appeals.where('status').equals(s).raw().toArray()))).flat();
}

/**
 * The `n` rows due soonest, through the deadline index (one native read): the first screen of
 * a queue sorted by deadline, shown while all its rows are still being read.
 */
export function soonestDue(db: MinshengDB, n: number): Promise<AppealRow[]> {
  return db.appeals.orderBy('dueAt').limit(n).raw().toArray();
}

/** The appeals `userId` recorded ('mine'), through the author index. */
export function ownQueueRows(db: MinshengDB, userId: string): Observable<AppealRow[]> {
  return liveQuery(() => db.appeals.where('createdBy').equals(userId).raw().toArray());
}

/** How many appeals the device holds, and how many of them `userId` recorded, counted on the indexes without reading rows. */
export function queueTotals(db: MinshengDB, userId: string): Observable<{ all: number; mine: number }> {
  return liveQuery(() => readQueueTotals(db, userId));
}

export async function readQueueTotals(db: MinshengDB, userId: string): Promise<{ all: number; mine: number }> {
  return { all: await db.appeals.count(), mine: await db.appeals.where('createdBy').equals(userId).count() };
}

/** Ids of documents with changes the server has not acknowledged yet. */
export function unsentDocIds(db: MinshengDB): Observable<Set<string>> {
  return liveQuery(async () => new Set((await db.outbox.orderBy('docId').uniqueKeys()) as string[]));
}

// ---- One appeal ----------------------------------------------------------------------------

export interface AppealView {
  row: AppealRow;
  snapshot: NonNullable<Awaited<ReturnType<typeof loadAppeal>>>;
  village: Region | undefined;
  /** Other open appeals of the same village, which this one may be merged into. */
  mergeCandidates: { id: string; title: string }[];
  contact: ContactRow | undefined;
}

/**
 * An appeal with its whole document (fields, text, timeline of events), its village, the
 * citizen's contact when this device holds it, and what it could be merged into. Null when
 * the device does not have it.
 */
export function appealWithTimeline(db: MinshengDB, id: string): Observable<AppealView | null> {
  return liveQuery(async () => {
    const row = await db.appeals.get(id);
    if (!row) return null;
    const [snapshot, village, neighbours, contact] = await Promise.all([
      loadAppeal(db, id),
      db.regions.get(row.village),
      db.appeals.where('village').equals(row.village).toArray(),
      db.contacts.get(id),
    ]);
    // Duplicates are merged into another open appeal of the same village.
    const mergeCandidates = neighbours.filter((n) => n.id !== id && isOpen(n.status)).map((n) => ({ id: n.id, title: n.title }));
    return snapshot && { row, snapshot, village, mergeCandidates, contact };
  });
}

/** Where appeals were recorded with a GPS fix, by village, read once (it reads every row). */
export async function recordedFixes(db: MinshengDB): Promise<Map<string, LatLng[]>> {
  return gpsFixes(await db.appeals.toArray());
}

// ---- Bench meetings ------------------------------------------------------------------------

export interface MeetingsOverview {
  meetings: MeetingRow[];
  /** Villages in the user's scope. */
  villages: Region[];
  /** Appeals recorded at any meeting. */
  linked: AppealRow[];
}

/** Every meeting (latest first), the villages in `scope`, and the appeals raised at meetings. */
export function meetingsOverview(db: MinshengDB, scope: Scope): Observable<MeetingsOverview> {
  return liveQuery(async () => {
    const [meetings, villages, linked] = await Promise.all([
      db.meetings.orderBy('heldOn').reverse().toArray(),
      db.regions.where('level').equals('village').toArray(),
      db.appeals.where('meetingId').above('').toArray(),
    ]);
    return { meetings, villages: villages.filter((v) => regionInScope(scope, v.code)), linked };
  });
}

export interface MeetingView {
  row: MeetingRow;
  snapshot: NonNullable<Awaited<ReturnType<typeof loadMeeting>>>;
  village: Region | undefined;
  /** Appeals recorded at the meeting, oldest first. */
  appeals: AppealRow[];
  /** Ids of documents with changes not yet on the server. */
  pending: Set<string>;
}

/** A meeting with its document (ideas and decisions), its village and the appeals raised at it. */
export function meetingWithAppeals(db: MinshengDB, id: string): Observable<MeetingView | null> {
  return liveQuery(async () => {
    const row = await db.meetings.get(id);
    if (!row) return null;
    const [snapshot, village, appeals, unsent] = await Promise.all([
      loadMeeting(db, id),
      db.regions.get(row.village),
      db.appeals.where('meetingId').equals(id).sortBy('createdAt'),
      db.outbox.orderBy('docId').uniqueKeys(),
    ]);
    return snapshot && { row, snapshot, village, appeals, pending: new Set(unsent as string[]) };
  });
}

/** One meeting's list row, read once. */
export function meetingById(db: MinshengDB, id: string): Promise<MeetingRow | undefined> {
  return db.meetings.get(id);
}

// ---- Map -----------------------------------------------------------------------------------

/**
 * What the map draws: every appeal. Apart from the regions (allRegions) and the places'
 * corrections, so that keeping fresh corrections from the server does not read every appeal again.
 */
export function mapAppeals(db: MinshengDB): Observable<MapAppeal[]> {
  return mapAppealsQuery(db);
}

/** Administrators' corrections of where towns and villages are, as last kept on the device. */
export function placeCorrections(db: MinshengDB): Observable<PointCorrections> {
  return liveQuery(async () => (await getMeta<PointCorrections>(db, 'placeCorrections')) ?? {});
}

/** A tile server the county configured under the drawn basemap. */
export interface TileSource {
  url: string;
  attribution: string;
}

/** The county's tile source: null when it has none, undefined before the server said. */
export function tileSource(db: MinshengDB): Observable<TileSource | null | undefined> {
  return liveQuery(() => getMeta<TileSource | null>(db, 'tiles'));
}

/** Keeps the places' corrections (and, when given, the tile source) for offline use. */
export async function keepPlaces(db: MinshengDB, corrections: PointCorrections, tiles?: TileSource | null): Promise<void> {
  // Written only when changed: every open of the map online asks the server again.
  const keep = async (key: string, value: unknown) => {
    if (JSON.stringify(await getMeta(db, key)) !== JSON.stringify(value)) await setMeta(db, key, value);
  };
  await keep('placeCorrections', corrections);
  if (tiles !== undefined) await keep('tiles', tiles);
}

// ---- Civic: campaigns, reception, keywords -------------------------------------------------

/** The device's copy of the suggestion campaigns (with counts), kept while online. */
export function campaigns(db: MinshengDB): Observable<CampaignWithCounts[] | undefined> {
  return liveQuery(() => getMeta<CampaignWithCounts[]>(db, 'campaigns'));
}

/** The device's copy of the reception slots (with bookings), kept while online. */
export function receptionSlots(db: MinshengDB): Observable<SlotWithBookings[] | undefined> {
  return liveQuery(() => getMeta<SlotWithBookings[]>(db, 'slots'));
}

/** The mediators serving the user's area as last kept on the device (empty before the first). */
export function mediatorRoster(db: MinshengDB): Observable<RosterEntry[]> {
  return liveQuery(async () => (await getMeta<RosterEntry[]>(db, 'mediators')) ?? []);
}

/** The county's keyword library as last kept on the device (undefined before the first). */
export function keywordLibrary(db: MinshengDB): Observable<KeywordRule[] | undefined> {
  return liveQuery(() => getMeta<KeywordRule[]>(db, 'keywords'));
}

// ---- Alerts --------------------------------------------------------------------------------

// The user's alerts, the bell's unread count, and marking them read (store/alerts.ts).
export { alertList, markAlertsRead, unreadAlertCount, type AlertItem } from './alerts';
/** What the phone keeps (bounded storage, Settings). */
export { storageSummary, type StorageSummary } from './retention';

// ---- Sync state ----------------------------------------------------------------------------

/** Changes not yet acknowledged by the server. */
export function unsentCount(db: MinshengDB): Observable<number> {
  return liveQuery(() => db.outbox.count());
}

/** Changes the server refused, oldest first, for the user to deal with. */
export function quarantined(db: MinshengDB): Observable<QuarantineRow[]> {
  return liveQuery(() => db.quarantine.orderBy('seq').toArray());
}

export function quarantinedCount(db: MinshengDB): Observable<number> {
  return liveQuery(() => db.quarantine.count());
}

/** Changes of one document this device still holds for the server (its page says "not yet on the server"). */
export function unsentChanges(db: MinshengDB, docId: string): Observable<number> {
  return liveQuery(() => db.outbox.where('docId').equals(docId).count());
}

/** Drops a refused change the user chose to give up. */
export function discardQuarantined(db: MinshengDB, seq: number): Promise<void> {
  return db.quarantine.delete(seq);
}

/** Attachment bytes not yet on the server. */
export function pendingUploads(db: MinshengDB): Observable<number> {
  return liveQuery(() => pendingUploadBytes(db));
}

/** Attachments the server refused, with its reason. */
export function refusedFiles(db: MinshengDB): Observable<FileRow[]> {
  return liveQuery(() => db.files.filter((f) => !!f.failed).toArray());
}
