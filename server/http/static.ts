import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

interface Cached {
  mtimeMs: number;
  body: Buffer;
  gzip: Buffer | null;
  type: string;
}

/**
 * Serves the built PWA. Hashed assets are immutable; the shell, manifest and service
 * worker are revalidated so an update is seen. Text is gzipped once and kept: on 2G
 * every byte of the first visit counts.
 */
export function createStaticHandler(root: string) {
  const cache = new Map<string, Cached>();
  const load = (file: string): Cached | null => {
    const stat = existsSync(file) ? statSync(file) : null;
    if (!stat?.isFile()) return null;
    const hit = cache.get(file);
    // One stat per request keeps a rebuilt dist/ served without a restart.
    if (hit && hit.mtimeMs === stat.mtimeMs) return hit;
    const body = readFileSync(file);
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const compressible = /text|javascript|json|svg|manifest/.test(type) && body.length > 512;
    const entry = { mtimeMs: stat.mtimeMs, body, gzip: compressible ? gzipSync(body, { level: 9 }) : null, type };
    cache.set(file, entry);
    return entry;
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://local');
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end('Bad path');
      return;
    }
    const file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root)) {
      res.writeHead(403).end('Forbidden');
      return;
    }
    // Routes are client-side (hash based), so any unknown path gets the shell.
    let entry = rel === '/' ? null : load(file);
    let servedFile = file;
    if (!entry) {
      servedFile = path.join(root, 'index.html');
      entry = load(servedFile);
    }
    if (!entry) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('The app is not built: run `npm run build`.');
      return;
    }
    const immutable = servedFile.includes(`${path.sep}assets${path.sep}`);
    const headers: Record<string, string> = {
      'content-type': entry.type,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
    };
    const gzip = entry.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (gzip) headers['content-encoding'] = 'gzip';
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : gzip ? entry.gzip : entry.body);
  };
}
