import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { attachmentProblem, baseType, MAX_ATTACHMENT_BYTES, contentMatches, kindOf, sniffType, type AttachmentRef } from '../../src/core/attachments';
import type { Store } from '../store/types';
import { Open311Error } from './open311-body';
import { storedFilePath } from './uploads';

// A photo sent with an Open311 request (GeoReporter's multipart `media`). It passes the checks
// every upload passes (src/core/attachments.ts: type, size, content matching the type) and is
// stored where server/http/uploads.ts stores files, under its SHA-256, so officials open it
// like any other attachment. Such a photo was sent to be shown, as it is on the partner's own
// site: it alone is served back publicly (media_url). Nothing an official attached ever is.

/** Who the server records as uploading a partner's photo; media_url serves only files uploaded so. */
export const partnerUploader = (partner: string) => `open311:${partner}`;
export const isPartnerUpload = (uploadedBy: string) => uploadedBy.startsWith('open311:');


export async function storeOpen311Photo(store: Store, dataDir: string, media: File, partner: string): Promise<AttachmentRef> {
  const bytes = Buffer.from(await media.arrayBuffer());
  const sniffed = sniffType(new Uint8Array(bytes.subarray(0, 16)));
  // Apps label photos loosely (image/jpg, application/octet-stream): the bytes decide when the label is not a photo type.
  const declared = baseType(media.type);
  const type = kindOf(declared) === 'photo' ? declared : sniffed && kindOf(sniffed) === 'photo' ? sniffed : declared;
  if (kindOf(type) !== 'photo') throw new Open311Error(415, 'media must be a JPEG, PNG or WebP photo');
  const problem = attachmentProblem(type, bytes.byteLength);
  if (problem === 'too_large') throw new Open311Error(413, `media larger than the ${MAX_ATTACHMENT_BYTES.photo} bytes a photo may be`);
  if (problem) throw new Open311Error(400, problem === 'empty' ? 'media is empty' : 'media must be a JPEG, PNG or WebP photo');
  if (!contentMatches(type, sniffed)) throw new Open311Error(422, `media is not ${type}`);
  const hash = createHash('sha256').update(bytes).digest('hex');
  if (!(await store.file(hash))) {
    const final = storedFilePath(dataDir, hash);
    await mkdir(path.dirname(final), { recursive: true });
    // Written aside and renamed, so a crash never leaves a half file under a hash's name.
    const temp = `${final}.${randomUUID()}.part`;
    try {
      await writeFile(temp, bytes, { flush: true });
      await rename(temp, final);
    } finally {
      await rm(temp, { force: true });
    }
    await store.putFile({ hash, type, size: bytes.byteLength, uploadedBy: partnerUploader(partner) }, Date.now());
  }
  return { hash, type, size: bytes.byteLength };
}

/** A partner's public photo's bytes and type, when `hash` is one listed by an appeal under `region`; else null. */
export async function publicPhoto(store: Store, dataDir: string, region: string, hash: string): Promise<{ bytes: Buffer; type: string } | null> {
  const file = await store.file(hash);
  if (!file || !isPartnerUpload(file.uploadedBy) || kindOf(file.type) !== 'photo') return null;
  const scopes = await store.attachmentScopes(hash);
  if (!scopes.some((s) => s.villageCode.startsWith(region))) return null;
  return { bytes: await readFile(storedFilePath(dataDir, hash)), type: file.type };
}
