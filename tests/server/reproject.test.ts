import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { reprojectIfPolicyChanged } from '../../server/jobs/reproject';
import { openSqliteStore } from '../../server/store/sqlite';
import { storeUpdate } from '../../server/sync/bus';
import { addWorkingMinutes } from '../../src/core/calendar';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { readAppeal, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { tempDir } from '../helpers/server';

describe('re-projection when the county changes its policy', () => {
  it('re-derives every due date once, and only when the policy changed', async () => {
    const store = openSqliteStore(tempDir());
    try {
      const at = Date.UTC(2026, 10, 23, 2); // Monday 10:00 in China
      const doc = new Y.Doc();
      const id = newId();
      writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.roads', kind: 'help', urgency: 'red', villageCode: '371324101201', description: '路面塌陷。', citizen: { anonymous: true } }, { id: 'u', role: 'grid_worker' }, at, newId());
      await store.inPushTx((tx) => storeUpdate(tx, { docId: id, deviceId: 'd', clientSeq: 1, userId: 'u', bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), at, POLICY_PRESETS.lanling));
      expect(await reprojectIfPolicyChanged(store, POLICY_PRESETS.lanling)).toBe(1); // first start: no fingerprint yet
      expect(await reprojectIfPolicyChanged(store, POLICY_PRESETS.lanling)).toBe(0);

      const halfDay = { ...POLICY_PRESETS.lanling, name: 'faster', dispatchDays: 0.5 };
      expect(await reprojectIfPolicyChanged(store, halfDay)).toBe(1);
      const row = (await store.appealRows()).find((r) => r.id === id)!;
      expect(row.dueAt).toBe(addWorkingMinutes(at, 240, halfDay.hours));
      expect(row.stage).toBe('dispatch');
    } finally {
      await store.close();
    }
  });
});
