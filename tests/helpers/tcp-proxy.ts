import net from 'node:net';

// A line between two servers that a test can cut (issue 25's county ↔ city uplink): a TCP
// proxy on an ephemeral loopback port that forwards every connection to `target`. The line
// can go down without stopping either end:
// - cut(): open connections are destroyed at once; new ones are held (accepted, not forwarded:
//   the caller's handshake waits, as on a line that is down) or, with `refuse`, reset. With
//   `silent`, open connections are not destroyed but go quiet: nothing passes either way and
//   neither end hears of the other's close (a line that dies without FIN or RST).
// - blackhole(direction): open connections stay up but silently lose every byte going that
//   way ('up': caller → target, 'down': target → caller), e.g. a push that never arrives, or
//   an ack that never comes back; new connections are held meanwhile.
// - restore(): connections that lost bytes or went silent are destroyed (their streams are
//   broken), held ones are forwarded, and new ones pass again.

export type Direction = 'up' | 'down';

export interface TcpProxy {
  readonly port: number;
  /** The proxy's address with `scheme` and `path`: `ws://127.0.0.1:<port>/sync`. */
  url(scheme?: string, path?: string): string;
  cut(options?: { refuse?: boolean; silent?: boolean }): void;
  blackhole(direction: Direction): void;
  restore(): void;
  /** 'up' while forwarding; 'cut' or 'blackhole' otherwise. */
  readonly state: 'up' | 'cut' | 'blackhole';
  /** Connections forwarded now, and held waiting for restore(). */
  open(): { forwarded: number; held: number };
  /** Bytes forwarded and bytes dropped, per direction, since the proxy started. */
  readonly bytes: { up: number; down: number; droppedUp: number; droppedDown: number };
  close(): Promise<void>;
}

interface Link {
  client: net.Socket;
  upstream: net.Socket;
  drop: Record<Direction, boolean>;
  /** Neither end hears of the other's close. */
  silent: boolean;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? '127.0.0.1';
  let state: TcpProxy['state'] = 'up';
  let refuse = false;
  const links = new Set<Link>();
  const held = new Set<net.Socket>();
  const bytes = { up: 0, down: 0, droppedUp: 0, droppedDown: 0 };

  /** Forwards `from` to `to` unless the link drops that direction, with backpressure. */
  const forward = (link: Link, from: net.Socket, to: net.Socket, direction: Direction) => {
    from.on('data', (chunk: Buffer) => {
      if (link.drop[direction]) {
        bytes[direction === 'up' ? 'droppedUp' : 'droppedDown'] += chunk.byteLength;
        return;
      }
      bytes[direction] += chunk.byteLength;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
  };

  const end = (link: Link) => {
    links.delete(link);
    link.client.destroy();
    link.upstream.destroy();
  };

  const connect = (client: net.Socket) => {
    const upstream = net.connect({ host, port: target.port });
    const link: Link = { client, upstream, drop: { up: false, down: false }, silent: false };
    links.add(link);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    forward(link, client, upstream, 'up');
    forward(link, upstream, client, 'down');
    for (const s of [client, upstream]) {
      s.on('error', () => (link.silent ? s.destroy() : end(link)));
      s.on('close', () => !link.silent && end(link));
    }
    // Sockets are accepted paused (pauseOnConnect): what a held caller sent waits in the kernel.
    client.resume();
  };

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    client.on('error', () => undefined);
    if (state === 'up') return connect(client);
    if (refuse) return void client.resetAndDestroy();
    held.add(client);
    client.once('close', () => held.delete(client));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    url: (scheme = 'ws', path = '/sync') => `${scheme}://127.0.0.1:${port}${path}`,
    get state() {
      return state;
    },
    get bytes() {
      return { ...bytes };
    },
    open: () => ({ forwarded: links.size, held: held.size }),
    cut(options = {}) {
      state = 'cut';
      refuse = options.refuse ?? false;
      for (const link of [...links]) {
        if (options.silent) Object.assign(link, { silent: true, drop: { up: true, down: true } });
        else end(link);
      }
      if (refuse) for (const s of [...held]) s.resetAndDestroy();
    },
    blackhole(direction) {
      state = 'blackhole';
      refuse = false;
      for (const link of links) link.drop[direction] = true;
    },
    restore() {
      for (const link of [...links]) if (link.drop.up || link.drop.down || link.silent) end(link);
      state = 'up';
      refuse = false;
      for (const client of [...held]) {
        held.delete(client);
        if (!client.destroyed) connect(client);
      }
    },
    async close() {
      state = 'cut';
      for (const link of [...links]) end(link);
      for (const s of [...held]) s.destroy();
      held.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
