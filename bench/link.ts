import net from 'node:net';

// A loopback TCP proxy that behaves like a slow mobile link: each direction has its own
// bandwidth, and every byte arrives half a round trip after it finished sending. Minsheng
// and the PouchDB peer both sync through it, so their times are comparable.

export interface LinkProfile {
  name: string;
  /** Server → device, bits per second. */
  downBps: number;
  /** Device → server, bits per second. */
  upBps: number;
  /** Round-trip time, ms; half is added in each direction. */
  rttMs: number;
}

export const PROFILES = {
  '2g': { name: '2G (256/64 kbit/s, 300 ms RTT)', downBps: 256_000, upBps: 64_000, rttMs: 300 },
  '3g': { name: '3G (1.6/0.768 Mbit/s, 150 ms RTT)', downBps: 1_600_000, upBps: 768_000, rttMs: 150 },
} satisfies Record<string, LinkProfile>;

export interface SlowLink {
  url: string;
  port: number;
  /** Bytes carried since start (or since `reset`): device → server, server → device. */
  bytes: { up: number; down: number };
  reset(): void;
  /** Cuts every connection now, as a lost signal does; new ones are still carried. */
  drop(): void;
  close(): Promise<void>;
}

/**
 * One direction of the link: bytes leave at `bps`, one after another, and each arrives
 * `delayMs` after it left. One queue and one timer, so chunks can never overtake each other.
 */
function pacer(bps: number, delayMs: number) {
  let freeAt = 0;
  const queue: { at: number; deliver: () => void }[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const pump = () => {
    timer = null;
    while (queue.length > 0 && queue[0]!.at <= performance.now()) queue.shift()!.deliver();
    if (queue.length > 0) timer = setTimeout(pump, queue[0]!.at - performance.now());
  };
  return (size: number, deliver: () => void): void => {
    const now = performance.now();
    freeAt = Math.max(now, freeAt) + (size * 8 * 1000) / bps;
    queue.push({ at: freeAt + delayMs, deliver });
    timer ??= setTimeout(pump, queue[0]!.at - now);
  };
}

export interface LinkOptions {
  /**
   * Flow control: bytes a connection may have on the link, one direction, before the link
   * stops reading from their sender (resuming at half), as TCP's window makes a sender wait.
   * Default: none, every byte is read at once and queued. Without it a long transfer queues
   * minutes of data, and a ping sent behind it (the hub drops a socket whose pong is over 30 s
   * late) arrives too late.
   */
  window?: number;
}

export async function startSlowLink(targetPort: number, profile: LinkProfile, options: LinkOptions = {}): Promise<SlowLink> {
  const window = options.window ?? Infinity;
  const sockets = new Set<net.Socket>();
  const bytes = { up: 0, down: 0 };
  // Half-open on both sides: a FIN travels through the link behind the bytes before it.
  const server = net.createServer({ allowHalfOpen: true }, (device) => {
    const upstream = net.connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    device.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(device).add(upstream);
    const kill = () => {
      device.destroy();
      upstream.destroy();
    };
    device.on('error', kill).on('close', () => sockets.delete(device));
    upstream.on('error', kill).on('close', () => sockets.delete(upstream));
    // Each connection shares the link's capacity with the others, as on one radio.
    /** Bytes of this connection on the link: device → server, server → device. */
    const queued = { up: 0, down: 0 };
    const carry = (from: net.Socket, to: net.Socket, dir: 'up' | 'down') => (d: Buffer) => {
      bytes[dir] += d.length;
      queued[dir] += d.length;
      if (queued[dir] > window) from.pause();
      (dir === 'up' ? up : down)(d.length, () => {
        queued[dir] -= d.length;
        if (from.isPaused() && queued[dir] <= window / 2) from.resume();
        if (to.writable) to.write(d);
      });
    };
    device.on('data', carry(device, upstream, 'up'));
    device.on('end', () => up(0, () => upstream.writable && upstream.end()));
    upstream.on('data', carry(upstream, device, 'down'));
    upstream.on('end', () => down(0, () => device.writable && device.end()));
  });
  const up = pacer(profile.upBps, profile.rttMs / 2);
  const down = pacer(profile.downBps, profile.rttMs / 2);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    bytes,
    reset() {
      bytes.up = bytes.down = 0;
    },
    drop() {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
