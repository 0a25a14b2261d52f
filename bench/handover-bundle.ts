import * as zlib from 'node:zlib';
import * as Y from 'yjs';
import { readAppeal, writeNewAppeal } from '../src/core/doc';
import { attachSignature, encodeBundleBody, encodeDeflatedBundleBody, fitEntries } from '../src/core/handover';
import { deflateRaw } from '../src/store/handover';
import { newId } from '../src/core/id';
import { generateAppeals } from './generate';
import type { BenchRow } from './table';

// Hand-over bundle size (issue 30, item 2): 100 freshly recorded appeals (realistic Chinese
// descriptions, a third with contacts), signed and deflated as the phone exports them (the
// browser's CompressionStream), against gzip -9 of the same records as compact JSON (each
// appeal's fields and events, and its contact): what a plain export would weigh compressed.
// The bundle carries Yjs updates, the CRDT's own bytes the server must get unchanged (client
// ids, clocks, lengths), plus 32 + 64 bytes of key and signature; the second row is the same
// bundle with its records left uncompressed.

const RECORDS = 100;

export async function handoverBundle(): Promise<BenchRow[]> {
  const authorId = newId();
  const inputs = generateAppeals(RECORDS, [{ code: '371324101201', name: '东王庄村民委员会' }], 17);
  const records: unknown[] = [];
  const rows = inputs.map((input, i) => {
    const doc = new Y.Doc();
    const id = newId();
    writeNewAppeal(doc, input, { id: authorId, role: 'grid_worker', name: '王芳' }, Date.UTC(2026, 10, 1) + i * 600_000, newId());
    const update = Y.encodeStateAsUpdate(doc);
    const snapshot = readAppeal(doc, id);
    doc.destroy();
    const contact = input.citizen.anonymous ? undefined : { name: input.citizen.name, phone: input.citizen.phone };
    records.push({ id, fields: snapshot.fields, events: snapshot.events, ...(contact && { contact }) });
    return { docId: id, seq: i + 1, update, ...(contact && { contact }) };
  });
  const keys = (await crypto.subtle.generateKey('Ed25519', false, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey));
  const entries = fitEntries(rows, authorId);
  const sign = async (body: Uint8Array) => attachSignature(body, new Uint8Array(await crypto.subtle.sign('Ed25519', keys.privateKey, body as Uint8Array<ArrayBuffer>)));
  const head = { keyId: newId(), publicKey, authorId, createdAt: Date.now(), entries };
  const exported = await sign(await encodeDeflatedBundleBody(head, deflateRaw));
  const plain = await sign(encodeBundleBody(head));
  const gzipJson = zlib.gzipSync(Buffer.from(JSON.stringify(records)), { level: 9 }).byteLength;
  const against = 'gzip -9 of the same records as compact JSON';
  return [
    { figure: `hand-over bundle, ${entries.length} new appeals (signed, records deflated, as exported)`, minsheng: exported.byteLength / 1024, comparison: gzipJson / 1024, against, kind: 'reference', unit: 'KiB' },
    { figure: 'the same bundle with its records uncompressed', minsheng: plain.byteLength / 1024, comparison: gzipJson / 1024, against, kind: 'reference', unit: 'KiB' },
  ];
}
