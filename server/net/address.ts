import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

// Who a request comes from, for rate limits and the audit log. Behind a reverse proxy every
// request arrives from the proxy, so one busy village's NAT would share a limit with the whole
// county; the proxy names the real client in X-Forwarded-For. That header is anyone's to write,
// so it is read only when the socket's peer is a proxy the operator listed
// (MINSHENG_TRUSTED_PROXIES), and only as far back as the chain stays trusted.

/** The proxies whose X-Forwarded-For is believed; empty: none (the header is ignored). */
export interface TrustedProxies {
  list: BlockList;
  /** As configured, for messages and the status page. */
  entries: string[];
}

export const NO_TRUSTED_PROXIES: TrustedProxies = { list: new BlockList(), entries: [] };

/** `::ffff:10.0.0.1` is the IPv4 address 10.0.0.1 arriving on an IPv6 socket. */
function bare(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1]! : ip;
}

function family(ip: string): 'ipv4' | 'ipv6' | null {
  const v = isIP(ip);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : null;
}

/**
 * Parses `MINSHENG_TRUSTED_PROXIES`: addresses and CIDR ranges separated by commas, e.g.
 * `127.0.0.1,::1,10.0.0.0/8`. Throws with the offending entry on anything else.
 */
export function parseTrustedProxies(value: string | undefined): TrustedProxies {
  if (!value?.trim()) return NO_TRUSTED_PROXIES;
  const list = new BlockList();
  const entries: string[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const [addr = '', bits, extra] = entry.split('/');
    const fam = family(bare(addr));
    const max = fam === 'ipv4' ? 32 : 128;
    if (!fam || extra !== undefined) throw new Error(`"${entry}" is not an IP address or CIDR range (e.g. 127.0.0.1, ::1, 10.0.0.0/8)`);
    if (bits === undefined) list.addAddress(bare(addr), fam);
    else {
      const prefix = Number(bits);
      if (!/^\d+$/.test(bits) || prefix > max) throw new Error(`"${entry}": the prefix length must be 0–${max}`);
      list.addSubnet(bare(addr), prefix, fam);
    }
    entries.push(entry);
  }
  return { list, entries };
}

function trusted(proxies: TrustedProxies, ip: string): boolean {
  const fam = family(ip);
  return fam !== null && proxies.list.check(ip, fam);
}

/**
 * The client's address given the socket's peer and the X-Forwarded-For values: walking from
 * the nearest hop outwards, the first address that is not a trusted proxy. Entries left of it
 * were written by the client and are never believed. A malformed entry ends the walk at the
 * last trusted hop: whoever sent it is not named reliably, so the limit falls on that proxy.
 */
export function resolveClientIp(peer: string | undefined, forwardedFor: string | string[] | undefined, proxies: TrustedProxies): string {
  let ip = bare(peer ?? '');
  if (!ip) return 'unknown';
  if (proxies.entries.length === 0 || forwardedFor === undefined) return ip;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((h) => bare(h.trim()));
  while (trusted(proxies, ip) && hops.length > 0) {
    const next = hops.pop()!;
    if (!family(next)) break;
    ip = next;
  }
  return ip;
}

const resolved = new WeakMap<IncomingMessage, string>();

/** Settles who `req` comes from, once, as it arrives (before any handler asks). */
export function stampClientIp(req: IncomingMessage, proxies: TrustedProxies): void {
  resolved.set(req, resolveClientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], proxies));
}

/** The client's address for rate limits and the audit log. */
export function clientIp(req: IncomingMessage): string {
  return resolved.get(req) ?? (bare(req.socket.remoteAddress ?? '') || 'unknown');
}
