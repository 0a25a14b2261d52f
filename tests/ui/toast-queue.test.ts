import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { READ_MS, toastQueue } from '../../src/ui/toast-queue';

// The app has one toast slot. A message that arrives while another is up waits until the
// first has been readable for READ_MS: a late "ready for offline use" once wiped "saved"
// before anyone (or any test) could see it.
describe('the toast slot', () => {
  let shown: (string | null)[];
  let toast: ReturnType<typeof toastQueue>;
  beforeEach(() => {
    vi.useFakeTimers();
    shown = [];
    toast = toastQueue((m) => shown.push(m));
  });
  afterEach(() => vi.useRealTimers());
  const now = () => shown.at(-1);

  it('shows a message at once, and clears it after its time', () => {
    toast('已保存', 4000);
    expect(now()).toBe('已保存');
    vi.advanceTimersByTime(3999);
    expect(now()).toBe('已保存');
    vi.advanceTimersByTime(1);
    expect(now()).toBe(null);
  });

  it('keeps a message up long enough to read before the next takes its place', () => {
    toast('调解员等级已保存');
    vi.advanceTimersByTime(100);
    toast('已可离线使用', 8000);
    expect(now()).toBe('调解员等级已保存');
    vi.advanceTimersByTime(READ_MS - 101);
    expect(now()).toBe('调解员等级已保存');
    vi.advanceTimersByTime(1);
    expect(now()).toBe('已可离线使用');
    vi.advanceTimersByTime(8000);
    expect(now()).toBe(null);
    expect(shown).toEqual(['调解员等级已保存', '已可离线使用', null]);
  });

  it('replaces a message at once once it has been read', () => {
    toast('一');
    vi.advanceTimersByTime(READ_MS);
    toast('二');
    expect(now()).toBe('二');
  });

  it('shows every waiting message in turn, each once, the same one again only extending it', () => {
    toast('一');
    toast('二');
    toast('三');
    toast('二');
    vi.advanceTimersByTime(READ_MS * 3 + 4000);
    expect(shown).toEqual(['一', '三', '二', null]);
    toast('四', 1000);
    vi.advanceTimersByTime(900);
    toast('四', 1000);
    vi.advanceTimersByTime(900);
    expect(now()).toBe('四');
  });
});
