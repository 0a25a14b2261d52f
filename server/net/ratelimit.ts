// Fixed-window counters kept in memory: enough for one process (several instances would
// share them through the database or Redis, issue 11). Windows are dropped when they end.

export interface Limit {
  max: number;
  windowMs: number;
}

export function createWindowCounter(limit: Limit) {
  const windows = new Map<string, { start: number; count: number }>();
  const current = (key: string, now: number) => {
    const w = windows.get(key);
    if (!w || now - w.start >= limit.windowMs) return null;
    return w;
  };
  return {
    /** Milliseconds until `key` may try again, or 0 when it is under the limit. */
    blockedFor(key: string, now = Date.now()): number {
      const w = current(key, now);
      return w && w.count >= limit.max ? w.start + limit.windowMs - now : 0;
    },
    hit(key: string, now = Date.now()): void {
      const w = current(key, now);
      if (w) w.count++;
      else windows.set(key, { start: now, count: 1 });
      if (windows.size > 10_000) for (const [k, v] of windows) if (now - v.start >= limit.windowMs) windows.delete(k);
    },
    /** What `key` has counted in its current window. */
    count(key: string, now = Date.now()): number {
      return current(key, now)?.count ?? 0;
    },
    /** Milliseconds until `key`'s current window ends (0 without one). */
    windowLeft(key: string, now = Date.now()): number {
      const w = current(key, now);
      return w ? w.start + limit.windowMs - now : 0;
    },
    reset(key: string): void {
      windows.delete(key);
    },
    /** Drops every key the test accepts. */
    resetWhere(test: (key: string) => boolean): void {
      for (const k of windows.keys()) if (test(k)) windows.delete(k);
    },
  };
}

export interface LoginLimits {
  /** Failures of one account from one address. */
  pair: Limit;
  /** Failures from one address, whatever the account. */
  address: Limit;
  /** Failures of one account from all addresses: the larger budget that marks it as under attack. */
  account: Limit;
}

export type LoginRefusal = { why: 'address' | 'pair' | 'account'; waitMs: number };

/**
 * Who clients are for login throttling: an IPv4 address, or an IPv6 /64 (one host is
 * given a whole /64, so counting single IPv6 addresses would count nothing).
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(':')) return ip;
  const bare = ip.split('%', 1)[0]!;
  const [head = '', tail] = bare.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(':')}::/64`;
}

/**
 * Login throttling. Only failures count, each under three keys, in fixed windows:
 *
 * - (account, address): `pair.max` failures, then that address waits for that account;
 * - address: `address.max` failures over any accounts, then that address waits for all;
 * - account: past `account.max` failures from anywhere, the account is under attack, and
 *   every address that has failed on it in its window waits too (one wrong guess each).
 *
 * An address with no failure on the account is always let through to the password check:
 * a spray from many addresses cannot lock the owner out, and the owner's right password
 * from a new address logs in. The way out of a wait is its Retry-After (at most one window),
 * or an administrator setting a new password, which forgives the account (`forgive`).
 */
export function createLoginThrottle(limits: LoginLimits) {
  const pairs = createWindowCounter(limits.pair);
  const addresses = createWindowCounter(limits.address);
  const accounts = createWindowCounter(limits.account);
  const pairKey = (account: string, address: string) => `${address}\u0000${account}`;
  const ofAccount = (account: string) => (key: string) => key.endsWith(`\u0000${account}`);

  return {
    /** Why this attempt must wait, and how long, or null when it may check the password. */
    refusal(account: string, ip: string, now = Date.now()): LoginRefusal | null {
      const address = addressKey(ip);
      const byAddress = addresses.blockedFor(address, now);
      if (byAddress > 0) return { why: 'address', waitMs: byAddress };
      const key = pairKey(account, address);
      const byPair = pairs.blockedFor(key, now);
      if (byPair > 0) return { why: 'pair', waitMs: byPair };
      const byAccount = accounts.blockedFor(account, now);
      if (byAccount > 0 && pairs.count(key, now) > 0) {
        // Free again when the account's window ends or this address's failures expire.
        return { why: 'account', waitMs: Math.min(byAccount, pairs.windowLeft(key, now)) };
      }
      return null;
    },
    failed(account: string, ip: string, now = Date.now()): void {
      const address = addressKey(ip);
      pairs.hit(pairKey(account, address), now);
      addresses.hit(address, now);
      accounts.hit(account, now);
    },
    /** A login: this address's failures on the account are forgiven, the account's are not. */
    succeeded(account: string, ip: string): void {
      pairs.reset(pairKey(account, addressKey(ip)));
    },
    /** An administrator reset the account's password: every wait on it ends. */
    forgive(account: string): void {
      accounts.reset(account);
      pairs.resetWhere(ofAccount(account));
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

/** A token bucket for message rates: `perSecond` sustained, `burst` at once. */
export function createBucket(perSecond: number, burst: number, now: () => number = Date.now) {
  let tokens = burst;
  let last = now();
  return {
    take(): boolean {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) / 1000) * perSecond);
      last = t;
      if (tokens < 1) return false;
      tokens--;
      return true;
    },
  };
}
