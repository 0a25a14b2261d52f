import type { IncomingMessage, ServerResponse } from 'node:http';
import * as v from 'valibot';
import type { UserRecord } from '../store/types';
import type { TokenService } from '../services/tokens';

// The REST routes' shared request and response helpers. A leaf of server/http: the router
// (api.ts) and the route files import it, it imports none of them.

const MAX_BODY_BYTES = 16 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export type Route = (req: IncomingMessage) => Promise<[number, unknown]>;

/** A route's answer that is a file to download rather than JSON. */
export class FileBody {
  constructor(
    readonly bytes: Buffer,
    readonly type: string,
    readonly name: string,
  ) {}
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body instanceof FileBody) {
    res.writeHead(status, { 'content-type': body.type, 'content-length': String(body.bytes.byteLength), 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(body.name)}`, 'cache-control': 'no-store' });
    res.end(body.bytes);
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

export async function readJson(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new HttpError(415, 'unsupported_media_type', 'Send JSON with content-type application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, 'too_large', `Body exceeds ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'bad_json', 'Body is not valid JSON');
  }
}

export function parse<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  const r = v.safeParse(schema, body);
  if (!r.success) {
    const issue = r.issues[0];
    const at = issue.path?.map((p) => String(p.key)).join('.');
    throw new HttpError(400, 'invalid_body', at ? `${at}: ${issue.message}` : issue.message);
  }
  return r.output;
}

/** Reads the signed access token a request carries, or answers 401. */
export function bearerAuth(tokens: TokenService) {
  return async (req: IncomingMessage): Promise<{ user: UserRecord; sid: string }> => {
    const m = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''));
    const found = m ? await tokens.verify(m[1]!) : null;
    if (!found) throw new HttpError(401, 'unauthorized', 'Log in again');
    return found;
  };
}

/** A request's query string. */
export const searchParams = (req: IncomingMessage): URLSearchParams => new URL(req.url ?? '/', 'http://local').searchParams;
