import { QUEUE_IDS, type QueueId } from '../core/queues';

// Hash routes keep every screen reachable offline from the single precached shell.
export type Route =
  /** The landing screen: a leader's key figures, everyone else's work queues. */
  | { name: 'home' }
  /** The work queues, `queue` opened first when given (the leader home's figures link here). */
  | { name: 'list'; queue?: QueueId }
  | { name: 'new' }
  | { name: 'admin' }
  | { name: 'settings' }
  | { name: 'map' }
  | { name: 'board' }
  | { name: 'civic' }
  /** Policy information (为您服务): the kept list, or one article; publishers' form on the list. */
  | { name: 'info'; id?: string }
  /** Online Q&A sessions (在线访谈): the list and form, or one session's questions. */
  | { name: 'qa'; id?: string }
  | { name: 'reports'; tab: ReportTab; sort?: string }
  | { name: 'appeal'; id: string }
  | { name: 'meetings' }
  | { name: 'meetingNew' }
  | { name: 'meeting'; id: string }
  | { name: 'meetingAppeal'; id: string }
  /** Grid patrols (一日双巡): a worker's patrol control, a town's coverage and trails. */
  | { name: 'patrol' }
  /** Village points (积分): a facilitator's awards and exchanges, a village's ledger and rules; `meeting` when kept at one. */
  | { name: 'points'; meeting?: string; village?: string }
  /** The user's alerts (预警提醒): dispatches, returns, warnings, supervision. */
  | { name: 'alerts' }
  /** The command-center wall screen: full screen, for a kiosk browser in the dispatch hall. */
  | { name: 'wall' }
  /** Hand-over without a network (离线交接): send pending records as a file or QR, take in and relay others'. */
  | { name: 'handover' };

export const REPORT_TABS = ['ranking', 'redblack', 'trends', 'hotspots', 'special', 'weekly', 'mediation', 'points', 'deputies', 'delay'] as const;
export type ReportTab = (typeof REPORT_TABS)[number];

const ID = '([0-9a-f-]{36})';

function parse(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  let m = new RegExp(`^/appeal/${ID}$`).exec(path);
  if (m) return { name: 'appeal', id: m[1]! };
  m = new RegExp(`^/meeting/${ID}(/appeal)?$`).exec(path);
  if (m) return { name: m[2] ? 'meetingAppeal' : 'meeting', id: m[1]! };
  if (path === '/new') return { name: 'new' };
  if (path === '/admin') return { name: 'admin' };
  if (path === '/settings') return { name: 'settings' };
  if (path === '/map') return { name: 'map' };
  if (path === '/wall') return { name: 'wall' };
  if (path === '/board') return { name: 'board' };
  if (path === '/civic') return { name: 'civic' };
  m = new RegExp(`^/info(?:/${ID})?$`).exec(path);
  if (m) return m[1] ? { name: 'info', id: m[1] } : { name: 'info' };
  m = new RegExp(`^/qa(?:/${ID})?$`).exec(path);
  if (m) return m[1] ? { name: 'qa', id: m[1] } : { name: 'qa' };
  if (path === '/alerts') return { name: 'alerts' };
  m = /^\/reports(?:\/([a-z]+))?$/.exec(path);
  if (m) {
    const sort = new URLSearchParams(search).get('sort') ?? undefined;
    return { name: 'reports', tab: REPORT_TABS.find((tab) => tab === m![1]) ?? 'ranking', ...(sort && { sort }) };
  }
  m = /^\/list(?:\/([a-z_]+))?$/.exec(path);
  if (m) {
    const queue = QUEUE_IDS.find((q) => q === m![1]);
    return queue ? { name: 'list', queue } : { name: 'list' };
  }
  if (path === '/meetings') return { name: 'meetings' };
  if (path === '/meetings/new') return { name: 'meetingNew' };
  if (path === '/patrol') return { name: 'patrol' };
  if (path === '/handover') return { name: 'handover' };
  if (path === '/points') {
    const q = new URLSearchParams(search);
    const meeting = q.get('meeting');
    const village = q.get('village');
    return { name: 'points', ...(meeting && new RegExp(`^${ID}$`).test(meeting) && { meeting }), ...(village && /^\d{12}$/.test(village) && { village }) };
  }
  return { name: 'home' };
}

/** The screen shown, and the one before it (what the record form was opened from). */
export const router = $state<{ route: Route; from: Route | null }>({ route: parse(location.hash), from: null });
window.addEventListener('hashchange', () => {
  router.from = router.route;
  router.route = parse(location.hash);
});

export function go(path: string): void {
  location.hash = path;
}
