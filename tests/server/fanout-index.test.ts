import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Committed } from '../../server/sync/bus';
import type { Conn } from '../../server/sync/conn';
import { createFanOut } from '../../server/sync/fanout';
import type { Store } from '../../server/store/types';

// The fan-out offers a commit only to the connections whose share's region prefixes its village
// starts with (an index, so ten thousand phones are not each checked at every commit). Offered
// means: kept in the backlog of a connection still catching up, which is what is observed here.

function catchingUp(id: string): Conn {
  return { id, state: { phase: 'catching-up', backlog: [] } } as unknown as Conn;
}

const commit = (village: string, seq = 1): Committed => ({ docId: `doc-${seq}`, seq, village, dept: null, anonymous: true, holding: null, update: new Uint8Array() });
const backlog = (conn: Conn) => (conn.state.phase === 'catching-up' ? conn.state.backlog.map((c) => c.village) : []);
const store = {} as Store;

describe('the fan-out index', () => {
  it('offers a commit to every connection whose prefix its village starts with, and only to those', () => {
    const code = fc.stringMatching(/^37(13(2[45](10[12](00[12])?)?)?)?$/);
    fc.assert(
      fc.property(fc.array(fc.array(code, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }), fc.array(fc.constantFrom('371324101001', '371324101002', '371324102001', '371325101001'), { minLength: 1, maxLength: 4 }), (scopes, villages) => {
        const conns = scopes.map((_, i) => catchingUp(`c${i}`));
        const fanOut = createFanOut({ store, conns: new Set(conns) });
        scopes.forEach((regions, i) => fanOut.join(conns[i]!, regions));
        const committed = villages.map((v, i) => commit(v, i + 1));
        fanOut.publish(committed, null);
        scopes.forEach((regions, i) => {
          const reached = committed.some((c) => regions.some((p) => c.village.startsWith(p)));
          expect(backlog(conns[i]!)).toEqual(reached ? villages : []);
        });
      }),
    );
  });

  it('forgets a connection that left, and a connection that joins again is offered each commit once', () => {
    const [town, village, gone] = [catchingUp('town'), catchingUp('village'), catchingUp('gone')];
    const fanOut = createFanOut({ store, conns: new Set([town, village, gone]) });
    fanOut.join(town, ['371324101']);
    fanOut.join(village, ['371324101001']);
    fanOut.join(gone, ['371324101001']);
    fanOut.join(village, ['371324101001', '371324101001']);
    fanOut.leave(gone);
    fanOut.publish([commit('371324101001')], null);
    expect([backlog(town), backlog(village), backlog(gone)]).toEqual([['371324101001'], ['371324101001'], []]);
    fanOut.leave(town);
    fanOut.leave(village);
    fanOut.publish([commit('371324101001', 2)], null);
    expect([backlog(town).length, backlog(village).length]).toEqual([1, 1]);
  });
});
