import 'fake-indexeddb/auto';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPgSchema } from '../../server/store/postgres';
import { loadAppeal } from '../../src/store/appeals';
import { until } from '../helpers/clients';
import { gridWorkerPhones, processStore, pushingPhone, recordAcross, storedCounts, type PushingPhone } from '../helpers/pushing-phones';
import { PG_URL, spawnServer, type ServerProcess } from '../helpers/server';
import { scale } from './scale';

// Many phones push appeals while the server is SIGKILLed at random moments and restarted on
// the same port and data. At the end the store holds every appeal exactly once, no outbox
// holds anything, and a phone catching up from scratch holds what every pusher holds.

const APPEALS = scale(240, 10_000);
const PHONES = scale(4, 20);
/** Each phone records one appeal this often, so the run spans several kills (ms). */
const PACE_MS = scale(100, 400);
/** Between kills: a random wait in this range (ms). */
const KILL_EVERY: [number, number] = scale([400, 1_500], [1_500, 6_000]);
const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropPgSchema(PG_URL, s);
});

/** Pushes the server acknowledged, counted on the wire as each ack arrives: `${device}:${seq}`. */
const acks = new Set<string>();

describe.each(['sqlite', ...(pgUp ? ['postgres'] : [])])('the server killed at random on %s', (kind) => {
  it(`loses nothing acknowledged and stores nothing twice (${APPEALS} appeals from ${PHONES} phones)`, async () => {
    acks.clear();
    const { dataDir, dbUrl, env } = await processStore(kind, 'chaos', schemas);
    let server: ServerProcess = await spawnServer(env());
    const port = String(server.port);
    const phones: PushingPhone[] = [];
    try {
      // One grid worker per village of one town, so each phone holds only its own appeals.
      phones.push(...(await gridWorkerPhones(server.url, PHONES, acks)));
      let recording = true;
      const recorded = recordAcross(phones, APPEALS, PACE_MS);
      let kills = 0;
      const killer = (async () => {
        while (recording) {
          await new Promise((res) => setTimeout(res, KILL_EVERY[0] + Math.random() * (KILL_EVERY[1] - KILL_EVERY[0])));
          if (!recording) break;
          await server.stop('SIGKILL');
          kills++;
          server = await spawnServer(env(port));
        }
      })();
      const recordedIds = await recorded;
      recording = false;
      await killer;
      // A last kill once everything is recorded, so the last pushes in flight meet one too.
      await server.stop('SIGKILL');
      kills++;
      server = await spawnServer(env(port));
      // Phones back off while the server is down (up to tens of seconds after many refusals);
      // a nudge, as the app gives on the browser's "online" event, keeps the test short.
      for (const p of phones) p.engine.kick();
      const started = Date.now();
      for (const p of phones) await until(async () => p.status().link === 'online' && (await p.db.outbox.count()) === 0, scale(60_000, 600_000), 'every outbox drained');
      const drainMs = Date.now() - started;

      const { ids, ...stored } = await storedCounts(kind, dataDir, dbUrl);
      const acked = acks.size;
      const lost = recordedIds.filter((id) => !ids.includes(id)).length;
      console.log(`server crash (${kind}): pushes ${APPEALS} from ${PHONES} phones, kills ${kills}, acked ${acked} (counted on the wire), stored ${stored.appeals} (updates ${stored.updates}, receipts ${stored.receipts}), lost ${lost}, duplicates ${stored.updates - APPEALS}; outboxes drained ${drainMs} ms after the last record`);
      expect(kills).toBeGreaterThan(0);
      expect(acked).toBe(APPEALS);
      // The server holds exactly the appeals the phones recorded: no more, no fewer, none twice.
      expect([...ids].sort()).toEqual([...recordedIds].sort());
      expect(stored).toEqual({ appeals: APPEALS, updates: APPEALS, receipts: APPEALS });

      // A town official's phone catching up from nothing holds exactly what each pusher holds.
      const observer = await pushingPhone(server.url, 'town', 'demo1234', 'observer', acks);
      phones.push(observer);
      await until(async () => (await observer.db.appeals.count()) === APPEALS && observer.status().catchUp === null, scale(60_000, 900_000), 'observer caught up');
      let compared = 0;
      for (const p of phones.slice(0, -1)) {
        for (const id of await p.db.appeals.toCollection().primaryKeys()) {
          expect(await loadAppeal(observer.db, id as string)).toEqual(await loadAppeal(p.db, id as string));
          compared++;
        }
      }
      expect(compared).toBe(APPEALS);
    } finally {
      for (const p of phones) {
        p.engine.stop();
        p.db.close();
      }
      await server.stop('SIGKILL');
    }
  }, scale(180_000, 1_500_000));
});
