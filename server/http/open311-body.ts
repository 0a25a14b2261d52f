import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_ATTACHMENT_BYTES } from '../../src/core/attachments';
import { fieldValue } from '../../src/core/open311';

// Reading an Open311 POST: form-encoded (the spec, FixMyStreet), JSON, or multipart/form-data
// (GeoReporter with a photo). A body over its limit is refused before it is buffered when its
// length is declared, and never by cutting the connection: the 413 is sent first, the rest of
// the body drained (up to a bound) so the client reads the answer rather than a reset.

export class Open311Error extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Form and JSON bodies: a request's fields with the longest description fit easily. */
export const MAX_FIELDS_BYTES = 64 * 1024;
/** A multipart body: one photo as large as an upload may be, plus its fields. */
export const MAX_MULTIPART_BYTES = MAX_ATTACHMENT_BYTES.photo + MAX_FIELDS_BYTES;
/** After a 413, how much more of the body is read and dropped, and for how long, before the socket is closed. */
const DRAIN_BYTES = 64 * 1024 * 1024;
const DRAIN_MS = 10_000;

export interface Open311Body {
  /** Each field present and non-empty (see fieldValue); absent ones are missing. */
  fields: Record<string, string>;
  /** The photo a multipart body carried (`media`), if any. */
  media: File | null;
}

const isMultipart = (type: string) => type.toLowerCase().startsWith('multipart/form-data');

/** The body's limit by its content type. */
export function bodyLimit(req: IncomingMessage): number {
  return isMultipart(String(req.headers['content-type'] ?? '')) ? MAX_MULTIPART_BYTES : MAX_FIELDS_BYTES;
}

/** The whole body, or null once it outgrew `limit` (the rest is still read and dropped: the socket stays usable for the answer). */
function collect(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.byteLength;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(null);
      } else chunks.push(chunk);
    });
    req.on('end', () => over || resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function readOpen311Body(req: IncomingMessage): Promise<Open311Body> {
  const limit = bodyLimit(req);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new Open311Error(413, `request body larger than ${limit} bytes`);
  const bytes = await collect(req, limit);
  if (bytes === null) throw new Open311Error(413, `request body larger than ${limit} bytes`);
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/json')) return { fields: jsonFields(bytes), media: null };
  if (isMultipart(type)) return multipart(String(req.headers['content-type']), bytes);
  if (type === '' || type.startsWith('application/x-www-form-urlencoded') || type.startsWith('text/plain')) return { fields: present(new URLSearchParams(bytes.toString('utf8'))), media: null };
  throw new Open311Error(415, 'send application/x-www-form-urlencoded, multipart/form-data or application/json');
}

function present(entries: Iterable<[string, unknown]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    const value = fieldValue(v);
    if (value !== null && !(k in out)) out[k] = value;
  }
  return out;
}

function jsonFields(bytes: Buffer): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Open311Error(400, 'body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Open311Error(400, 'body is not a JSON object');
  return present(Object.entries(parsed));
}

/** Parsed by the platform's own multipart reader (undici's Request), on the body already bounded above. */
async function multipart(contentType: string, bytes: Buffer): Promise<Open311Body> {
  let form: FormData;
  try {
    form = await new Request('http://local/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(bytes) }).formData();
  } catch {
    throw new Open311Error(400, 'body is not valid multipart/form-data');
  }
  const files = [...form.entries()].filter((e): e is [string, File] => typeof e[1] !== 'string');
  const media = files.find(([k]) => k === 'media')?.[1] ?? null;
  return { fields: present([...form.entries()].filter((e): e is [string, string] => typeof e[1] === 'string')), media: media && media.size > 0 ? media : null };
}

/**
 * After answering a body too large: the connection closes once the answer is out, and what
 * the client still sends is read and dropped (so its kernel does not turn our close into a
 * reset it sees instead of the 413) until it stops, or too much or too long went by.
 */
export function closeAfterRefusal(req: IncomingMessage, res: ServerResponse): void {
  // Read whole already (a photo over its limit inside a body that was not): nothing to drain.
  if (req.complete) return;
  let drained = 0;
  const cut = () => req.socket?.destroy();
  const timer = setTimeout(cut, DRAIN_MS);
  timer.unref();
  req.on('data', (c: Buffer) => {
    drained += c.byteLength;
    if (drained > DRAIN_BYTES) cut();
  });
  req.on('end', () => clearTimeout(timer));
  req.on('error', () => clearTimeout(timer));
  res.on('close', () => {
    if (req.complete) clearTimeout(timer);
  });
  req.resume();
}
