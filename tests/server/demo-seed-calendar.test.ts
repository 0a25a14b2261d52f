import { afterEach, describe, expect, it, vi } from 'vitest';
import { startServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import type { AppealProjection } from '../../src/core/projection';
import type { SessionUser } from '../../src/core/roles';
import { login } from '../helpers/clients';
import { browseAll, DEMO_LOGINS, emptyDemoQueues, type DemoLogin } from '../helpers/demo-queues';
import { tempDir } from '../helpers/server';

// The demo is seeded relative to the day it starts, and deadlines count working days, so what
// lands in each queue moves with the calendar. Once a CI run at 02:00 in Beijing found the water
// bureau's overdue list empty. Seeded here as if started on awkward days (only Date is faked;
// sockets and timers run for real), every demo login's queues must still hold something.
const DAYS = [
  '2026-11-30T18:00:19Z', // the start that once left the bureau with nothing overdue
  '2026-10-06T09:00:00+08:00', // National Day week: few working days behind
  '2026-02-22T21:00:00+08:00', // Spring Festival holiday
];

describe('the demo county, whatever day it is seeded', () => {
  afterEach(() => vi.useRealTimers());

  for (const day of DAYS)
    it(`gives every demo login's queues something to show when started at ${day}`, async () => {
      const now = Date.parse(day);
      vi.useFakeTimers({ toFake: ['Date'], now });
      const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_DEMO: '1' }));
      try {
        const rows = new Map<DemoLogin, AppealProjection[]>();
        const users = new Map<DemoLogin, SessionUser>();
        for (const name of DEMO_LOGINS) {
          const session = await login(server, name);
          users.set(name, session.user as SessionUser);
          rows.set(name, await browseAll(server, session));
        }
        expect(emptyDemoQueues((n) => rows.get(n)!, (n) => users.get(n)!, now)).toEqual([]);
      } finally {
        await server.close();
      }
    }, 120_000);
});
