import { liveQuery, type Observable } from 'dexie';
import { ALERT_WINDOW_MS, alertsFor, compareAlerts, type Alert } from '../core/alerts';
import type { SessionUser } from '../core/roles';
import { deviceNow } from './clock';
import type { AppealRow, MinshengDB } from './db';
import { getMeta, setMeta } from './meta';

// The alerts of the signed-in user on this device. They derive from the alert feed each appeal
// row carries (core/alerts.ts), so they arrive with the sync; only whether one was read is
// kept here, per device and user, in meta: event id → event time, pruned past the window.

type User = Pick<SessionUser, 'id' | 'role' | 'scope'>;

const readKey = (userId: string) => `alertsRead:${userId}`;

async function readMap(db: MinshengDB, userId: string): Promise<Record<string, number>> {
  const stored = await getMeta<unknown>(db, readKey(userId));
  return typeof stored === 'object' && stored !== null && !Array.isArray(stored) ? (stored as Record<string, number>) : {};
}

export interface AlertItem extends Alert {
  read: boolean;
  title: string;
  evalCode: string | null;
  village: string;
}

/**
 * The user's alerts in the window, newest first. Only rows changed within the window are read
 * (by the `updatedAt` index): an alert's event is never newer than its row's last change.
 */
export async function userAlerts(db: MinshengDB, user: User, now: number): Promise<AlertItem[]> {
  const since = now - ALERT_WINDOW_MS;
  const [rows, read] = await Promise.all([db.appeals.where('updatedAt').aboveOrEqual(since).raw().toArray() as Promise<AppealRow[]>, readMap(db, user.id)]);
  const items: AlertItem[] = [];
  for (const row of rows) {
    if (!row.alertFeed) continue;
    for (const a of alertsFor(user, { id: row.id, village: row.village, dept: row.dept, status: row.status, feed: row.alertFeed }, since)) {
      items.push({ ...a, read: a.acted || a.id in read, title: row.title, evalCode: row.evalCode, village: row.village });
    }
  }
  return items.sort(compareAlerts);
}

/** The user's alerts, live: re-read whenever a sync or a local change touches the appeals, or one is marked read. */
export function alertList(db: MinshengDB, user: User): Observable<AlertItem[]> {
  return liveQuery(() => userAlerts(db, user, deviceNow(db)));
}

/** How many of the user's alerts are unread, live (the badge). */
export function unreadAlertCount(db: MinshengDB, user: User): Observable<number> {
  return liveQuery(async () => (await userAlerts(db, user, deviceNow(db))).filter((a) => !a.read).length);
}

/** Marks alerts read for `userId` on this device; entries past the window are dropped as it goes. */
export async function markAlertsRead(db: MinshengDB, userId: string, alerts: readonly Pick<Alert, 'id' | 'at'>[], now = deviceNow(db)): Promise<void> {
  const since = now - ALERT_WINDOW_MS;
  await db.transaction('rw', db.meta, async () => {
    const read = await readMap(db, userId);
    for (const a of alerts) read[a.id] = a.at;
    await setMeta(db, readKey(userId), Object.fromEntries(Object.entries(read).filter(([, at]) => typeof at === 'number' && at >= since)));
  });
}
