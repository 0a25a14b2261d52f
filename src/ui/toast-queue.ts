/**
 * A message stays up at least this long before the next takes its place: a late "ready for
 * offline use" must not wipe a "saved" the person has not had time to read.
 */
export const READ_MS = 1500;
/** Messages waiting their turn; beyond this many the oldest are dropped. */
const MAX_WAITING = 3;

/** One message at a time, each shown long enough to read, to `show` (null clears). */
export function toastQueue(show: (message: string | null) => void, now: () => number = Date.now): (message: string, ms?: number) => void {
  let current: string | null = null;
  let waiting: { message: string; ms: number }[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let shownAt = 0;

  const put = (message: string | null) => {
    current = message;
    show(message);
  };
  const display = (t: { message: string; ms: number }) => {
    clearTimeout(timer);
    put(t.message);
    shownAt = now();
    timer = setTimeout(() => (waiting.length > 0 ? next() : put(null)), waiting.length > 0 ? READ_MS : t.ms);
  };
  const next = () => {
    clearTimeout(timer);
    const wait = current === null ? 0 : shownAt + READ_MS - now();
    if (wait <= 0) display(waiting.shift()!);
    else timer = setTimeout(next, wait);
  };
  return (message, ms = 4000) => {
    if (current === message && waiting.length === 0) return display({ message, ms });
    waiting = [...waiting.filter((w) => w.message !== message), { message, ms }].slice(-MAX_WAITING);
    next();
  };
}
