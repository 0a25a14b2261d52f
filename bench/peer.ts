import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PouchDB from 'pouchdb';
import memory from 'pouchdb-adapter-memory';
import expressPouchDB from 'express-pouchdb';

// The peer: PouchDB replicating to a CouchDB-protocol server (express-pouchdb), the sync
// model field apps such as the Community Health Toolkit ship. In-memory on both ends, so
// the disk never slows it down. As shipped, the server gzips its responses (express-pouchdb's
// compression middleware, for clients that ask, and PouchDB's node-fetch asks) while PouchDB
// sends its request bodies uncompressed; `traffic` counts both, so the bench can show it.

PouchDB.plugin(memory);
const Memory = PouchDB.defaults({ adapter: 'memory' });

export interface PouchServer {
  port: number;
  url: (db: string) => string;
  /** Writes documents straight to the server (loopback, no link), in bulk requests. */
  seed: (db: string, docs: { _id: string }[]) => Promise<void>;
  /** Requests served, and how many had a compressed body; responses, and how many went out gzipped. */
  traffic: { requests: number; compressedRequests: number; responses: number; gzippedResponses: number };
  close(): Promise<void>;
}

export async function startPouchServer(): Promise<PouchServer> {
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'bench-pouch-'));
  const app = expressPouchDB(Memory, { mode: 'minimumForPouchDB', inMemoryConfig: true, logPath: path.join(logDir, 'log.txt') });
  const traffic = { requests: 0, compressedRequests: 0, responses: 0, gzippedResponses: 0 };
  const server: Server = createServer((req, res) => {
    traffic.requests++;
    if (req.headers['content-encoding']) traffic.compressedRequests++;
    res.on('finish', () => {
      traffic.responses++;
      if (/gzip|deflate|br/.test(String(res.getHeader('content-encoding') ?? ''))) traffic.gzippedResponses++;
    });
    app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (db) => `http://127.0.0.1:${port}/${db}`,
    traffic,
    seed: async (db, docs) => {
      const remote = new PouchDB(`http://127.0.0.1:${port}/${db}`);
      for (let i = 0; i < docs.length; i += 500) await remote.bulkDocs(docs.slice(i, i + 500));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A device's PouchDB, in memory. */
export function pouchDevice(name: string): InstanceType<typeof PouchDB> {
  return new Memory(`${name}-${Date.now()}`);
}

/**
 * The server's database as a device sees it, through a link on `port`. A PouchDB handle,
 * not a URL string: a string given to the in-memory constructor would open a local database
 * of that name.
 */
export function via(url: string, port: number): InstanceType<typeof PouchDB> {
  const u = new URL(url);
  u.port = String(port);
  return new PouchDB(u.toString());
}
