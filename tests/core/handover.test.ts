import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { attachSignature, decodeBundle as decodeWith, encodeBundleBody, encodeDeflatedBundleBody, fitEntries, SIGNATURE_BYTES, type BundleBody, type BundleEntry } from '../../src/core/handover';
import { uuidV7Factory } from '../../src/core/id';
import { MAX_BUNDLE_BYTES, MAX_BUNDLE_ENTRIES, MAX_UPDATE_BYTES } from '../../src/core/limits';
import { inflateRawBounded, verifyEd25519 } from '../../server/services/handover';

// Hand-over bundles (src/core/handover.ts): what is signed is exactly what is read back, and
// nothing changed, cut or swollen on the way is taken for a good bundle.

const newId = uuidV7Factory(() => 1_764_000_000_000);
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const rawPublic = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'));

const body = (entries: BundleEntry[], authorId = 'u-grid'): BundleBody => ({ keyId: newId(), publicKey: rawPublic, authorId, createdAt: 1_764_000_123_456, entries });
const decodeBundle = (bytes: Uint8Array) => decodeWith(bytes, inflateRawBounded);
const deflate = async (b: Uint8Array) => new Uint8Array(deflateRawSync(b, { level: 9 }));
const signBody = (bytes: Uint8Array) => attachSignature(bytes, new Uint8Array(sign(null, bytes, privateKey)));
/** Signed as the device signs: records deflated (`raw` keeps them plain, as older tools write). */
const signed = async (b: BundleBody, raw = false): Promise<Uint8Array> => signBody(raw ? encodeBundleBody(b) : await encodeDeflatedBundleBody(b, deflate));
/** Whether a carrier or the server would take these bytes for a good bundle by this key. */
const accepted = async (bytes: Uint8Array): Promise<boolean> => {
  const d = await decodeBundle(bytes);
  return d.ok && verifyEd25519(rawPublic, d.bundle.signed, d.bundle.signature);
};

const entryArb = fc.record({
  docId: fc.constant(null).map(() => newId()),
  update: fc.uint8Array({ minLength: 1, maxLength: 200 }),
  contact: fc.option(fc.record({ name: fc.option(fc.string({ maxLength: 50 }), { nil: undefined }), phone: fc.option(fc.stringMatching(/^[0-9+]{0,20}$/), { nil: undefined }) }), { nil: undefined }),
});
const entriesArb = fc.array(entryArb, { minLength: 1, maxLength: 8 }).map((es) => es.map((e, i): BundleEntry => ({ docId: e.docId, seq: i + 1, update: e.update, ...(e.contact && { contact: e.contact }) })));

describe('hand-over bundle', () => {
  it('round-trips every field, contacts included, records deflated or plain', async () => {
    await fc.assert(
      fc.asyncProperty(entriesArb, fc.string({ minLength: 1, maxLength: 64 }), fc.boolean(), async (entries, author, raw) => {
        const b = body(entries, author);
        const d = await decodeBundle(await signed(b, raw));
        if (!d.ok) throw new Error(d.detail);
        expect(d.bundle.keyId).toBe(b.keyId);
        expect(d.bundle.authorId).toBe(author);
        expect(d.bundle.createdAt).toBe(b.createdAt);
        expect(d.bundle.publicKey).toEqual(rawPublic);
        expect(d.bundle.entries.map((e) => ({ ...e, contact: e.contact && { ...e.contact } }))).toEqual(
          entries.map((e) => ({ ...e, ...(e.contact && { contact: Object.fromEntries(Object.entries(e.contact).filter(([, v]) => v)) }) })),
        );
        expect(verifyEd25519(rawPublic, d.bundle.signed, d.bundle.signature)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses any single byte flipped anywhere in a signed bundle', async () => {
    await fc.assert(
      fc.asyncProperty(entriesArb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (entries, where, mask, raw) => {
        const bytes = await signed(body(entries), raw);
        expect(await accepted(bytes)).toBe(true);
        const bad = bytes.slice();
        const at = where % bad.byteLength;
        bad[at] = bad[at]! ^ mask;
        expect(await accepted(bad)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a truncated or extended bundle with a clear reason', async () => {
    await fc.assert(
      fc.asyncProperty(entriesArb, fc.nat(), fc.boolean(), async (entries, cut, raw) => {
        const bytes = await signed(body(entries), raw);
        const short = bytes.slice(0, cut % bytes.byteLength);
        const d = await decodeBundle(short);
        expect(d).toMatchObject({ ok: false, reason: 'bad_bundle' });
        const long = new Uint8Array(bytes.byteLength + 1);
        long.set(bytes);
        expect(await accepted(long)).toBe(false);
      }),
      { numRuns: 200 },
    );
    expect(await decodeBundle(new Uint8Array([0x4d, 0x53, 0x48, 0x4f, 1, 0]))).toEqual({ ok: false, reason: 'bad_bundle', detail: 'bundle is truncated' });
    expect(await decodeBundle(new TextEncoder().encode('PK\u0003\u0004 a zip file'))).toMatchObject({ ok: false, reason: 'bad_bundle', detail: 'not a Minsheng hand-over bundle' });
    expect(await decodeBundle(new Uint8Array([0x4d, 0x53, 0x48, 0x4f, 9, 0, 0]))).toMatchObject({ ok: false, reason: 'bad_bundle', detail: 'unsupported bundle version 9' });
  });

  it('refuses bytes the format does not describe, even when they are signed', async () => {
    const b = encodeBundleBody(body([{ docId: newId(), seq: 1, update: new Uint8Array([7]) }]));
    const padded = new Uint8Array(b.byteLength + 1);
    padded.set(b);
    expect(await decodeBundle(signBody(padded))).toEqual({ ok: false, reason: 'bad_bundle', detail: 'trailing bytes before the signature' });
    // A records section that says one record and holds more.
    const two = encodeBundleBody(body([{ docId: newId(), seq: 1, update: new Uint8Array([7]) }, { docId: newId(), seq: 2, update: new Uint8Array([8]) }]));
    const countAt = b.byteLength - 4 - (16 + 4 + 1 + 4 + 1) - 2;
    new DataView(two.buffer).setUint16(countAt, 1);
    expect(await decodeBundle(signBody(two))).toEqual({ ok: false, reason: 'bad_bundle', detail: 'trailing bytes after the records' });
  });

  it('inflates a deflated records section only up to the bundle limit', async () => {
    // A signed bundle whose records inflate past the limit: refused, never held whole.
    const bomb = new Uint8Array(deflateRawSync(new Uint8Array(MAX_BUNDLE_BYTES + 1024), { level: 9 }));
    const b = await encodeDeflatedBundleBody(body([{ docId: newId(), seq: 1, update: new Uint8Array([1]) }]), async () => bomb);
    expect(await decodeBundle(signBody(b))).toMatchObject({ ok: false, reason: 'bad_bundle', detail: expect.stringMatching(/do not inflate/) });
    const broken = await encodeDeflatedBundleBody(body([{ docId: newId(), seq: 1, update: new Uint8Array([1]) }]), async () => new Uint8Array([0xff, 0xff, 0xff]));
    expect(await decodeBundle(signBody(broken))).toMatchObject({ ok: false, reason: 'bad_bundle' });
  });

  it('refuses an oversized bundle or record before reading it', async () => {
    expect(await decodeBundle(new Uint8Array(MAX_BUNDLE_BYTES + 1))).toMatchObject({ ok: false, reason: 'too_large' });
    // A record claiming more than an update may weigh.
    const bytes = await signed(body([{ docId: newId(), seq: 1, update: new Uint8Array([1, 2, 3]) }]), true);
    const lengthAt = bytes.byteLength - SIGNATURE_BYTES - 3 - 4;
    new DataView(bytes.buffer).setUint32(lengthAt, MAX_UPDATE_BYTES + 1);
    expect(await decodeBundle(bytes)).toMatchObject({ ok: false, reason: 'too_large' });
    expect(() => encodeBundleBody(body([{ docId: newId(), seq: 1, update: new Uint8Array(MAX_UPDATE_BYTES + 1) }]))).toThrow(/update must be/);
  });

  it('refuses bodies no decoder would take: duplicate seqs, bad ids, no records', () => {
    const docId = newId();
    expect(() => encodeBundleBody(body([{ docId, seq: 1, update: new Uint8Array([1]) }, { docId, seq: 1, update: new Uint8Array([2]) }]))).toThrow(/appears twice/);
    expect(() => encodeBundleBody(body([{ docId: 'not-a-uuid', seq: 1, update: new Uint8Array([1]) }]))).toThrow(/UUIDv7/);
    expect(() => encodeBundleBody(body([]))).toThrow(/1\.\.1000/);
  });

  it('fits the oldest records into one bundle and leaves the rest in order', () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ docId: newId(), seq: i + 1, update: new Uint8Array(100_000) }));
    const fit = fitEntries(rows, 'u-grid', 1_000_000);
    expect(fit.map((r) => r.seq)).toEqual(Array.from({ length: fit.length }, (_, i) => i + 1));
    expect(fit.length).toBe(9);
    expect(encodeBundleBody(body(fit)).byteLength + SIGNATURE_BYTES).toBeLessThanOrEqual(1_000_000);
    const many = Array.from({ length: MAX_BUNDLE_ENTRIES + 5 }, (_, i) => ({ docId: newId(), seq: i + 1, update: new Uint8Array(1) }));
    expect(fitEntries(many, 'u-grid')).toHaveLength(MAX_BUNDLE_ENTRIES);
  });
});
