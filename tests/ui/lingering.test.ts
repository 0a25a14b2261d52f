import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { letGo, lingering } from '../../src/ui/lingering';

// A query the list leaves lingers: coming back within the linger shows its last value at once
// and reads nothing again; past it, the query is closed and its value dropped.

function source() {
  const s = { opened: 0, closed: 0, emit: (_v: number) => undefined as void };
  const open = () => ({
    subscribe(next: (v: number) => void) {
      s.opened++;
      s.emit = next;
      return { unsubscribe: () => void s.closed++ };
    },
  });
  return { s, open };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('a lingering query', () => {
  it('gives a returning screen the last value at once, kept current while no screen showed it', () => {
    const owner = {};
    const { s, open } = source();
    const seen: (number | undefined)[] = [];
    const first = lingering(owner, 'open', open, 1_000).subscribe((v) => seen.push(v));
    s.emit(1);
    first.unsubscribe();
    s.emit(2); // a save while the list is not shown
    vi.advanceTimersByTime(999);
    const back: (number | undefined)[] = [];
    lingering(owner, 'open', open, 1_000).subscribe((v) => back.push(v));
    expect(seen).toEqual([undefined, 1]);
    expect(back).toEqual([2]);
    expect(s.opened).toBe(1);
    expect(s.closed).toBe(0);
  });

  it('closes the query and drops its value once no screen has shown it for the linger', () => {
    const owner = {};
    const { s, open } = source();
    const sub = lingering(owner, 'open', open, 1_000).subscribe(() => undefined);
    s.emit(1);
    sub.unsubscribe();
    vi.advanceTimersByTime(1_000);
    expect(s.closed).toBe(1);
    const back: (number | undefined)[] = [];
    lingering(owner, 'open', open, 1_000).subscribe((v) => back.push(v));
    expect(back).toEqual([undefined]);
    expect(s.opened).toBe(2);
  });

  it('keeps queries of different keys and different databases apart', () => {
    const a = source();
    const b = source();
    const seenA: (number | undefined)[] = [];
    const seenB: (number | undefined)[] = [];
    lingering({}, 'open', a.open).subscribe((v) => seenA.push(v));
    lingering({}, 'open', b.open).subscribe((v) => seenB.push(v));
    a.s.emit(1);
    expect(seenA).toEqual([undefined, 1]);
    expect(seenB).toEqual([undefined]);
  });
});

describe('letting go', () => {
  it('closes at once the queries no screen shows, and keeps the shown ones', () => {
    const owner = {};
    const shown = source();
    const left = source();
    lingering(owner, 'shown', shown.open).subscribe(() => undefined);
    lingering(owner, 'left', left.open).subscribe(() => undefined).unsubscribe();
    letGo(owner);
    expect(left.s.closed).toBe(1);
    expect(shown.s.closed).toBe(0);
    const back: (number | undefined)[] = [];
    left.s.emit(5);
    lingering(owner, 'left', left.open).subscribe((v) => back.push(v));
    expect(back).toEqual([undefined]);
    expect(left.s.opened).toBe(2);
  });
});
