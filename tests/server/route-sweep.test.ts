import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { startTestServer, tempDir } from '../helpers/server';

// Every URL the server is asked for gets an answer, whatever its path and method: a request
// nobody answers holds a socket open for as long as the client cares to wait (issue 27 found
// /open311/, /open311/v2 and POST /open311/requests.json doing so: a cheap denial of service).
// A hang shows as the client giving up (no answer within ANSWER_MS), not as a slow answer:
// the issue asks for a second; three leave room for a loaded CI machine and still catch a hang.

const ANSWER_MS = 3000;
const KEY = 'sweep-key-0123456789abcdefghij';
const UUID = '0190a000-0000-7000-8000-000000000000';
const HASH = 'a'.repeat(64);

/** Each route prefix the server has (server/app.ts and the handlers under it), and unknown paths beside and below them. */
const PATHS = [
  '/', '/index.html', '/nothing-here', '/assets/nothing.js',
  '/open311', '/open311/', '/open311/v2', '/open311/v2/', '/open311/v1/services.json', '/open311/discovery.json', '/open311/discovery.xml',
  '/open311/requests.json', '/open311/v2/services.json', '/open311/v2/services.xml', '/open311/v2/services/infra.roads.xml', '/open311/v2/services/%E0%A4%A.json',
  '/open311/v2/requests.json', '/open311/v2/requests.xml', `/open311/v2/requests/${UUID}.json`, '/open311/v2/requests/not-an-id.xml',
  '/open311/v2/tokens/t.json', '/open311/v2/servicerequestupdates.xml', `/open311/v2/media/${HASH}`, '/open311/v2/nothing', '/open311x',
  '/api', '/api/', '/api/nothing', '/api/login', '/api/appeals', `/api/uploads/${HASH}`, `/api/files/${HASH}`, '/api/uploads/not-a-hash', '/api/public/', '/api/public/nothing',
  '/p', '/p/', '/p/nothing', '/p/board', `/p/board/${UUID}`, `/p/board/${UUID}/comment`, '/p/c', '/p/c/NOPE', '/p/ask', '/p/reception', '/p/style.css',
  '/p/deputies', '/p/deputies/', `/p/deputies/${UUID}`, '/p/deputies/not-an-id', '/p/deputies/%E0%A4%A', '/api/reports/deputies', '/api/admin/deputies', '/p/qa', '/p/qa/', `/p/qa/${UUID}`, `/p/qa/${UUID}/ask`, '/p/qa/not-an-id',
  '/p/info', `/p/info/${UUID}`, '/p/info/nope', '/p/info?area=x&cat=y&before=z', '/p/cards/371324101201', '/p/cards/nope', '/p/cards.css',
  '/p/points/371324101201', '/p/points/nope', '/p/points/', '/p/points', '/api/reports/points', '/api/reports/points?period=x',
  '/sync', '/room/', `/room/${UUID}`,
  '/healthz', '/readyz', '/metrics', '/metrics/', '/readyz?x=1',
];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND'];

let server: RunningServer;

/** The status the server answers with, or a rejection when it does not answer within ANSWER_MS. */
function ask(method: string, target: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(target, server.url);
    const req = request(url, { method, headers: body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(ANSWER_MS, () => {
      req.destroy();
      reject(new Error(`no answer to ${method} ${target} within ${ANSWER_MS} ms`));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  const staticDir = tempDir('minsheng-static-');
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_STATIC_DIR: staticDir, MINSHENG_OPEN311_KEYS: `sweep:${KEY}`, MINSHENG_OPEN311_PUBLIC: '1' });
});
afterAll(() => server?.close());

describe('every path and method gets an answer', () => {
  it.each(METHODS)('%s on every route prefix', async (method) => {
    const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{"x":1}' : undefined;
    const failures: string[] = [];
    for (const p of PATHS) {
      try {
        const status = await ask(method, p, body);
        // An answer, and not a failure of ours: a 5xx here is a handler that broke on the input.
        if (status < 100 || status > 499) failures.push(`${method} ${p}: status ${status}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers the paths that used to hang with Open311 answers', async () => {
    for (const p of ['/open311', '/open311/', '/open311/v2', '/open311/discovery.json']) {
      const res = await fetch(`${server.url}${p}`, { signal: AbortSignal.timeout(ANSWER_MS) });
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { endpoints: { url: string; formats: string[]; specification: string }[] };
      expect(doc.endpoints[0]).toMatchObject({ url: `${server.url}/open311/v2`, formats: ['text/xml', 'application/json'] });
    }
    const xml = await fetch(`${server.url}/open311/discovery.xml`);
    expect(await xml.text()).toContain('<discovery><changeset>');
    const v1 = await fetch(`${server.url}/open311/v1/requests.xml`);
    expect(v1.status).toBe(404);
    expect(await v1.text()).toMatch(/<errors><error><code>404<\/code>/);
    const misplaced = await fetch(`${server.url}/open311/requests.json`, { method: 'POST', body: new URLSearchParams({ api_key: KEY }) });
    expect(misplaced.status).toBe(404);
    const wrongMethod = await fetch(`${server.url}/open311/v2/services.json`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
  });

  it('serves reads without a key when configured public, with CORS, and still refuses a wrong key', async () => {
    const res = await fetch(`${server.url}/open311/v2/requests.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect((await fetch(`${server.url}/open311/v2/requests.json?api_key=wrong`)).status).toBe(403);
    const preflight = await fetch(`${server.url}/open311/v2/requests.json`, { method: 'OPTIONS', headers: { origin: 'https://dash.example', 'access-control-request-method': 'GET' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    // Writing still needs a key.
    const post = await fetch(`${server.url}/open311/v2/requests.json`, { method: 'POST', body: new URLSearchParams({ service_code: 'infra.roads', lat: '34.7725', long: '117.879', description: 'x' }) });
    expect(post.status).toBe(403);
  });
});
