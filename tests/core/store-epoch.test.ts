import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeClientFrame, encodeFrame } from '../../src/core/protocol';
import { catchUpStart, meetStore, parseStoreEpoch, REPLAY_MARGIN_MS, type StoreEpoch } from '../../src/core/store-epoch';

// A restored server's sequence runs again from its restore point: a phone from before the
// restore must catch up from there, and a phone of the same store from where it was.

const arbEpoch = fc.record({ id: fc.uuid(), since: fc.nat(1_000_000), at: fc.nat(4_000_000_000_000) });

describe('store identity', () => {
  it('a device of another identity catches up from no later than the restore point; of the same one, from its cursor', () => {
    fc.assert(
      fc.property(arbEpoch, fc.uuid(), fc.nat(2_000_000), fc.option(fc.nat(2_000_000), { nil: undefined }), (epoch, other, cursor, resume) => {
        const foreign = catchUpStart(epoch, other === epoch.id ? `${other}x` : other, cursor, resume);
        expect(foreign.from).toBeLessThanOrEqual(epoch.since);
        expect(foreign.from).toBeLessThanOrEqual(cursor);
        expect(foreign.resumeAt).toBe(foreign.from);
        expect(catchUpStart(epoch, epoch.id, cursor, resume)).toEqual({ from: cursor, resumeAt: Math.max(cursor, resume ?? cursor) });
        // A phone that never named one (new, or from before identities) is served as before.
        expect(catchUpStart(epoch, undefined, cursor, resume).from).toBe(cursor);
      }),
    );
  });

  it('a device remembers its first store, and after a restore goes back and replays from before the backup', () => {
    const epoch: StoreEpoch = { id: 'b', since: 40, at: 10 * REPLAY_MARGIN_MS };
    expect(meetStore('b', epoch, 90)).toEqual({ kind: 'same' });
    expect(meetStore(undefined, epoch, 90)).toEqual({ kind: 'first' });
    expect(meetStore('a', epoch, 90)).toEqual({ kind: 'restored', cursor: 40, replayFrom: 9 * REPLAY_MARGIN_MS });
    expect(meetStore('a', epoch, 12)).toEqual({ kind: 'restored', cursor: 12, replayFrom: 9 * REPLAY_MARGIN_MS });
    // An unknown backup time: everything the journal kept goes again.
    expect(meetStore('a', { ...epoch, at: 0 }, 90)).toMatchObject({ replayFrom: 0 });
  });

  it('reads a stored identity only when well formed, and refuses a hello naming a malformed one', () => {
    expect(parseStoreEpoch(JSON.stringify({ id: 'x', since: 3, at: 5 }))).toEqual({ id: 'x', since: 3, at: 5 });
    expect(parseStoreEpoch('{"id":"x","since":-1,"at":0}')).toBeNull();
    expect(parseStoreEpoch('{"id":"x","since":1,"at":0,"extra":1}')).toBeNull();
    expect(parseStoreEpoch('not json')).toBeNull();
    expect(parseStoreEpoch(null)).toBeNull();
    const hello = { t: 'hello', token: 't', deviceId: '0190a000-0000-7000-8000-000000000001', cursor: 0 } as const;
    expect(decodeClientFrame(encodeFrame({ ...hello, store: 'b' }))).toMatchObject({ store: 'b' });
    expect(() => decodeClientFrame(encodeFrame({ ...hello, store: 'x'.repeat(65) }))).toThrow();
    expect(() => decodeClientFrame(encodeFrame({ ...hello, store: '' }))).toThrow();
  });
});
