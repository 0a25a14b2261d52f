import net from 'node:net';

export interface CuttableProxy {
  port: number;
  url: string;
  /** Bytes that crossed the proxy since start: client → server, server → client. */
  bytes: { up: number; down: number };
  /** Drops every open connection and refuses new ones: the link is gone. */
  cut(): void;
  /** Cuts the link once `n` more bytes have gone client → server (mid-request, like a 2G drop). */
  cutAfterUp(n: number): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy the test can cut. Playwright's offline mode leaves open
 * WebSockets alive, so an honest "offline" also needs the socket path severed.
 */
export async function startProxy(targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<net.Socket>();
  let open = true;
  const bytes = { up: 0, down: 0 };
  let cutAt = Infinity;
  const server = net.createServer((client) => {
    if (!open) return client.destroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (d: Buffer) => {
      bytes.up += d.length;
      if (bytes.up >= cutAt) {
        cutAt = Infinity;
        cut();
      }
    });
    upstream.on('data', (d: Buffer) => (bytes.down += d.length));
    client.pipe(upstream).pipe(client);
  });
  const cut = () => {
    open = false;
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    bytes,
    cut,
    cutAfterUp(n) {
      cutAt = bytes.up + n;
    },
    restore() {
      open = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
