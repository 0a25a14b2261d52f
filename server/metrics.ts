import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from './store/types';

// What an operator scrapes at /metrics (issue 31), in Prometheus's text format. One registry
// per server instance: tests run several servers in one process, and prom-client's global
// registry would mix their counts. Every label value comes from a short fixed list (a
// refusal reason, a store method's name, an outcome): no user, device, document or address
// ever becomes a label.

/** The places that count; each is optional where it is handed, so a server without metrics passes nothing. */
export interface Metrics {
  readonly registry: Registry;
  /** One push batch acknowledged: its accepted and refused items, and how long since its frame arrived. */
  pushAcked(accepted: number, refusedReasons: readonly string[], seconds: number): void;
  /** Bytes of catch-up pages sent to a device. */
  catchUpSent(bytes: number): void;
  /** An upload's last chunk: stored as a new file, matched a file already held, or discarded (hash or type wrong). */
  uploadFinished(outcome: 'stored' | 'deduplicated' | 'discarded'): void;
  /** One run of the deadline scanner. */
  deadlineScan(outcome: 'ok' | 'failed'): void;
  /**
   * Reads live values when scraped: the hub's sockets, the uplink's state. Set once the parts
   * exist (they are built after the metrics); until then those gauges read 0.
   */
  watch(sources: LiveSources): void;
  /** `store` with each of its calls timed in `minsheng_db_seconds`, labelled by method (the query family). */
  timedStore(store: Store): Store;
}

export interface LiveSources {
  /** Welcomed sync connections of people's devices, and of county servers' uplinks. */
  connections(): { devices: number; relays: number; waiting: number };
  /** This county server's uplink to its city, when it has one. */
  uplink?: (() => { live: boolean; pendingUp: number }) | null;
}

/** Seconds from a push frame's arrival to its ack: a 2G device waits on this. */
const ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const DB_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** Store members not worth timing: closing, and the commit listener (held open, not a query). */
const UNTIMED = new Set<PropertyKey>(['close', 'subscribeCommits']);

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  // Process figures (CPU, memory, event-loop lag, open handles) under their usual names.
  collectDefaultMetrics({ register: registry });
  let sources: LiveSources | null = null;

  new Gauge({
    name: 'minsheng_sync_connected_devices',
    help: 'Sync connections of devices that have been welcomed (signed in)',
    registers,
    collect() {
      if (sources) this.set(sources.connections().devices);
    },
  });
  new Gauge({
    name: 'minsheng_sync_connected_relays',
    help: "County servers' uplinks connected to this (city) server",
    registers,
    collect() {
      if (sources) this.set(sources.connections().relays);
    },
  });
  new Gauge({
    name: 'minsheng_sync_waiting_sockets',
    help: 'Sync sockets connected but not yet welcomed (no valid hello yet)',
    registers,
    collect() {
      if (sources) this.set(sources.connections().waiting);
    },
  });
  const accepted = new Counter({ name: 'minsheng_sync_push_items_accepted_total', help: 'Pushed updates accepted (stored, or already stored by a resend)', registers });
  const refused = new Counter({ name: 'minsheng_sync_push_items_refused_total', help: 'Pushed updates refused, by reason', labelNames: ['reason'] as const, registers });
  const ack = new Histogram({ name: 'minsheng_sync_push_ack_seconds', help: 'Seconds from a push batch arriving to its ack being sent (after COMMIT)', buckets: ACK_BUCKETS, registers });
  const catchUp = new Counter({ name: 'minsheng_sync_catchup_bytes_total', help: 'Bytes of catch-up pages sent to devices (before WebSocket compression)', registers });
  const uploads = new Counter({ name: 'minsheng_uploads_total', help: 'Uploads finished, by outcome', labelNames: ['outcome'] as const, registers });
  const scans = new Counter({ name: 'minsheng_deadline_scans_total', help: 'Deadline scanner runs, by outcome', labelNames: ['outcome'] as const, registers });
  const db = new Histogram({ name: 'minsheng_db_seconds', help: 'Seconds per store call, by method (inPushTx: a whole push transaction) and outcome', labelNames: ['family', 'outcome'] as const, buckets: DB_BUCKETS, registers });

  return {
    registry,
    pushAcked(n, reasons, seconds) {
      accepted.inc(n);
      for (const reason of reasons) refused.inc({ reason });
      ack.observe(seconds);
    },
    catchUpSent: (bytes) => catchUp.inc(bytes),
    uploadFinished: (outcome) => uploads.inc({ outcome }),
    deadlineScan: (outcome) => scans.inc({ outcome }),
    watch(given) {
      if (sources) throw new Error('metrics are already watching a server');
      sources = given;
      const uplink = given.uplink;
      if (!uplink) return;
      new Gauge({
        name: 'minsheng_uplink_up',
        help: "1 while this county server's uplink to its city is live (caught up and syncing), else 0",
        registers,
        collect() {
          this.set(uplink().live ? 1 : 0);
        },
      });
      new Gauge({
        name: 'minsheng_uplink_pending_up',
        help: 'Changes of this county stored here that the city has not yet acknowledged',
        registers,
        collect() {
          this.set(uplink().pendingUp);
        },
      });
    },
    timedStore: (store) => timeStore(store, (family, outcome, seconds) => db.observe({ family, outcome }, seconds)),
  };
}

/**
 * A view of `store` whose promise-returning calls are timed. The store's methods are plain
 * closures over its connection, so calling them through the proxy changes nothing else.
 */
function timeStore(store: Store, observe: (family: string, outcome: 'ok' | 'error', seconds: number) => void): Store {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || UNTIMED.has(prop)) return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        fn = (...args: unknown[]) => {
          const start = process.hrtime.bigint();
          const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
          const out: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!(out instanceof Promise)) return out;
          return out.then(
            (v) => (observe(prop, 'ok', seconds()), v),
            (err: unknown) => {
              observe(prop, 'error', seconds());
              throw err;
            },
          );
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}
