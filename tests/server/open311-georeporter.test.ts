import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { MAX_ATTACHMENT_BYTES } from '../../src/core/attachments';
import { MAX_NAME_CHARS } from '../../src/core/limits';
import { startTestServer } from '../helpers/server';

// The server driven the way GeoReporter (the Open311 mobile app) drives an endpoint: JSON
// everywhere (services.json, requests.json), a report sent as multipart/form-data with the
// api_key among its fields and the photo as `media`, coordinates from the phone, the fields
// the user left blank sent empty or as JSON null, and only a 200 counted as filed (anything
// else is retried, so a 201 would file duplicates).

const KEY = 'georeporter-key-0123456789abcdef';
let server: RunningServer;
const api = (path: string, init?: RequestInit) => fetch(`${server.url}/open311/v2/${path}`, init);
/** 200 m from 小仲村北村's point in the place data (兰陵县). */
const HERE = { lat: '34.7725', long: '117.8790' };

/** A few bytes a JPEG begins with: what the server's content check reads. */
const jpeg = (size = 256): Uint8Array<ArrayBuffer> => {
  const b = new Uint8Array(size).fill(0x20);
  b.set([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
  return b;
};

function multipart(fields: Record<string, string>, media?: { bytes: Uint8Array<ArrayBuffer>; type: string; name: string }): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  if (media) form.set('media', new Blob([media.bytes], { type: media.type }), media.name);
  return form;
}

const filed = async (res: Response) => {
  expect(res.status).toBe(200);
  const [r] = (await res.json()) as { service_request_id: string }[];
  return r!.service_request_id;
};
const readBack = async (id: string) => ((await (await api(`requests/${id}.json?api_key=${KEY}`)).json()) as Record<string, unknown>[])[0]!;

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_OPEN311_KEYS: `georeporter:${KEY}` });
});
afterAll(() => server?.close());

describe('GeoReporter against Open311 in JSON', () => {
  it('lists services and files a report with a photo as multipart, its api_key among the fields', async () => {
    const services = (await (await api('services.json')).json()) as { service_code: string; type: string }[];
    expect(services.every((s) => s.type === 'realtime')).toBe(true);

    const photo = jpeg();
    const id = await filed(await api('requests.json', { method: 'POST', body: multipart({ api_key: KEY, service_code: 'infra.roads', ...HERE, description: '桥头护栏断了', email: '', first_name: '', last_name: '', phone: '' }, { bytes: photo, type: 'image/jpeg', name: 'photo.jpg' }) }));
    const one = await readBack(id);
    expect(one).toMatchObject({ service_code: 'infra.roads', description: '桥头护栏断了', address_id: '371324102243', lat: 34.7725, long: 117.879 });
    // Empty name and phone are absent: an anonymous appeal, no contact kept.
    expect(await server.store.contact(id)).toBeNull();

    // The photo is stored as an attachment, and served back as the partner's public photo.
    const hash = createHash('sha256').update(photo).digest('hex');
    expect(await server.store.file(hash)).toMatchObject({ type: 'image/jpeg', size: photo.byteLength });
    expect(one.media_url).toBe(`${server.url}/open311/v2/media/${hash}`);
    const served = await fetch(String(one.media_url));
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(photo);
    // A file an official attached to the same appeal is never served this way, nor an unknown one.
    const other = jpeg(300);
    const otherHash = createHash('sha256').update(other).digest('hex');
    await server.store.putFile({ hash: otherHash, type: 'image/jpeg', size: other.byteLength, uploadedBy: 'some-official' }, Date.now());
    await server.store.inPushTx((tx) => tx.linkAttachments(id, [hash, otherHash]));
    expect((await api(`media/${otherHash}`)).status).toBe(404);
    expect((await api(`media/${'0'.repeat(64)}`)).status).toBe(404);
    expect((await api(`media/${hash}`)).status).toBe(200);
  });

  it('refuses a photo the upload checks refuse, in JSON', async () => {
    const send = (bytes: Uint8Array<ArrayBuffer>, type: string) => api('requests.json', { method: 'POST', body: multipart({ api_key: KEY, service_code: 'infra.roads', ...HERE, description: '路灯坏了' }, { bytes, type, name: 'x' }) });
    const notPhoto = await send(new TextEncoder().encode('#!/bin/sh\necho hi\n'), 'text/plain');
    expect(notPhoto.status).toBe(415);
    expect(((await notPhoto.json()) as { code: number }[])[0]!.code).toBe(415);
    // Labelled a photo, but not one.
    expect((await send(new TextEncoder().encode('GIF89a not a jpeg at all'), 'image/jpeg')).status).toBe(422);
    expect((await send(jpeg(MAX_ATTACHMENT_BYTES.photo + 1), 'image/jpeg')).status).toBe(413);
  });

  it('takes JSON with nulls for what the user left out, and a 200', async () => {
    const id = await filed(await api('requests.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: KEY, service_code: 'infra.environment', ...HERE, description: '垃圾堆了一周', first_name: null, last_name: null, email: null, phone: null, address_string: null, media_url: null }) }));
    expect(await server.store.contact(id)).toBeNull();
    const [appeal] = await server.store.appealsById([id]);
    expect(appeal!.anonymous).toBe(true);
    expect(JSON.stringify(await readBack(id))).not.toContain('null');
  });

  it('keeps a foreign phone and cuts an over-long name rather than refusing the report', async () => {
    const long = 'Maximilian-Alexander Featherstonehaugh-Cholmondeley'; // 52 characters with the space
    const id = await filed(await api('requests.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: KEY, service_code: 'infra.roads', ...HERE, description: 'Pothole', first_name: long.split(' ')[0], last_name: `${long.split(' ')[1]} the Younger`, phone: '+44 20 7946 0958' }) }));
    const contact = await server.store.contact(id);
    expect(contact!.phone).toBe('+44 20 7946 0958');
    expect([...contact!.name!].length).toBeLessThanOrEqual(MAX_NAME_CHARS);
    expect(contact!.name!.startsWith('Maximilian-Alexander Feather')).toBe(true);
  });

  it('filters by comma lists of service codes and statuses', async () => {
    const id = await filed(await api('requests.json', { method: 'POST', body: new URLSearchParams({ api_key: KEY, service_code: 'infra.water', ...HERE, description: '自来水停了' }) }));
    const ids = async (query: string) => ((await (await api(`requests.json?api_key=${KEY}&${query}`)).json()) as { service_request_id: string }[]).map((r) => r.service_request_id);
    expect(await ids('service_code=infra.roads,infra.water')).toContain(id);
    expect(await ids('service_code=infra.roads')).not.toContain(id);
    expect(await ids('status=open,closed')).toContain(id);
    expect(await ids('service_code=infra.water&status=closed')).not.toContain(id);
    expect((await api(`requests.json?api_key=${KEY}&status=open,pending`)).status).toBe(400);
  });

  it('answers an unknown service with 404, and an oversized body with 413', async () => {
    const unknown = await api('requests.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: KEY, service_code: 'no.such', ...HERE, description: 'x' }) });
    expect(unknown.status).toBe(404);
    // Declared too long: refused before any of it is read; the client still reads the answer.
    // Large enough that the client is still sending when the answer comes.
    const big = 'description=' + 'x'.repeat(8 * 1024 * 1024);
    const declared = await api('requests.json', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: big });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { code: number }[])[0]!.code).toBe(413);
    // Streamed with no length: refused once it outgrows the limit.
    const chunks = Array.from({ length: 256 }, () => new TextEncoder().encode('y'.repeat(32 * 1024)));
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = chunks.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const streamed = await api('requests.json', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
  });
});
