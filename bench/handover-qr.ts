import jsQR from 'jsqr';
import { performance } from 'node:perf_hooks';
import qrcode from 'qrcode-generator';
import * as Y from 'yjs';
import { writeNewAppeal } from '../src/core/doc';
import { attachSignature, encodeDeflatedBundleBody, fitEntries } from '../src/core/handover';
import { newId } from '../src/core/id';
import { DEFAULT_CHUNK_BYTES, planQrFrames, QR_FRAME_ECC, QrFrameReceiver, sendIndex, toQrFrames } from '../src/core/qr-frames';
import { deflateRaw } from '../src/store/handover';
import { generateAppeals, prng } from './generate';
import type { BenchRow } from './table';

// Hand-over by animated QR (issue 30, item 2): how many records a minute pass from a phone with
// no signal to one that has it, shown at the sender's default 5 codes a second. A bundle of 100
// freshly recorded appeals (realistic Chinese descriptions, contacts included), deflated and
// signed with Ed25519 as the phone exports it, is cut into frames; every frame is drawn as the sender's canvas
// draws it, placed in a 640×480 camera image, decoded with jsQR (the scanner's fallback when
// the phone has no BarcodeDetector) and fed to the receiver, which must return the exact bytes.
// The comparison is the largest QR code there is (version 40, level L, byte mode: 2,953
// bytes) at the same rate: what one code a frame could carry at most; and, for a camera that
// misses codes, the same frames looped plainly (each missed frame awaited a whole loop) beside
// the sender's plain-then-mixed sequence run through the real receiver.

const RECORDS = 100;
const FPS = 5;
const MAX_QR_BYTES = 2_953;
const [CAM_W, CAM_H] = [640, 480];
const CELL = 4;
const QUIET = 4;

async function signedBundle(): Promise<{ bytes: Uint8Array; records: number }> {
  const authorId = newId();
  const inputs = generateAppeals(RECORDS, [{ code: '371324101201', name: '东王庄村民委员会' }], 11);
  const rows = inputs.map((input, i) => {
    const doc = new Y.Doc();
    writeNewAppeal(doc, input, { id: authorId, role: 'grid_worker', name: '王芳' }, Date.UTC(2026, 10, 1) + i * 600_000, newId());
    const update = Y.encodeStateAsUpdate(doc);
    doc.destroy();
    const contact = input.citizen.anonymous ? undefined : { name: input.citizen.name, phone: input.citizen.phone };
    return { docId: newId(), seq: i + 1, update, ...(contact && { contact }) };
  });
  const keys = (await crypto.subtle.generateKey('Ed25519', false, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey));
  const entries = fitEntries(rows, authorId);
  const body = await encodeDeflatedBundleBody({ keyId: newId(), publicKey, authorId, createdAt: Date.now(), entries }, deflateRaw);
  const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', keys.privateKey, body as Uint8Array<ArrayBuffer>));
  return { bytes: attachSignature(body, signature), records: entries.length };
}

/** The frame as the sender's canvas shows it, centred in a camera-sized RGBA image. */
function cameraImage(text: string, version: number): Uint8ClampedArray {
  const qr = qrcode(version as 0, QR_FRAME_ECC);
  qr.addData(text, 'Alphanumeric');
  qr.make();
  const n = qr.getModuleCount();
  const side = (n + 2 * QUIET) * CELL;
  const left = (CAM_W - side) >> 1;
  const top = (CAM_H - side) >> 1;
  const img = new Uint8ClampedArray(CAM_W * CAM_H * 4).fill(255);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++)
      if (qr.isDark(r, c))
        for (let y = 0; y < CELL; y++)
          for (let x = 0; x < CELL; x++) {
            const p = ((top + (r + QUIET) * CELL + y) * CAM_W + left + (c + QUIET) * CELL + x) * 4;
            img[p] = img[p + 1] = img[p + 2] = 0;
          }
  return img;
}

/**
 * Codes shown until a camera catching each with probability `p` has the bundle, with the
 * sender's sequence (plain frames, then mixed ones) and the real receiver: mean of `runs`.
 */
function shownWithMixedFrames(bytes: Uint8Array, p: number, runs = 40): number {
  const plan = planQrFrames(bytes);
  const rnd = prng(9);
  let sum = 0;
  for (let r = 0; r < runs; r++) {
    const rx = new QrFrameReceiver();
    // The camera is ready from the first code on; it misses codes at random.
    for (let step = 0; ; step++) {
      if (rnd() < p && rx.accept(plan.frame(sendIndex(plan.total, step))).kind === 'done') {
        sum += step + 1;
        break;
      }
    }
  }
  return sum / runs;
}

/** The same without mixed frames: the plain ones looped, each missed one awaited a whole loop. */
function shownPlainLoop(frames: number, p: number, runs = 2_000): number {
  const rnd = prng(5);
  let sum = 0;
  for (let r = 0; r < runs; r++) {
    const have = new Set<number>();
    let shown = 0;
    while (have.size < frames) {
      if (rnd() < p) have.add(shown % frames);
      shown++;
    }
    sum += shown;
  }
  return sum / runs;
}

export async function handoverQr(): Promise<BenchRow[]> {
  const { bytes, records } = await signedBundle();
  const frames = toQrFrames(bytes);
  const first = qrcode(0, QR_FRAME_ECC);
  first.addData(frames[0]!, 'Alphanumeric');
  first.make();
  const version = (first.getModuleCount() - 17) / 4;

  const receiver = new QrFrameReceiver();
  const decodeMs: number[] = [];
  let received: Uint8Array | null = null;
  for (const text of frames) {
    const img = cameraImage(text, version);
    const t0 = performance.now();
    const code = jsQR(img, CAM_W, CAM_H, { inversionAttempts: 'dontInvert' });
    decodeMs.push(performance.now() - t0);
    if (!code) throw new Error('jsQR did not read a frame the sender draws');
    const step = receiver.accept(code.data);
    if (step.kind === 'done') received = step.bytes;
    else if (step.kind !== 'progress') throw new Error(`receiver: ${JSON.stringify(step)}`);
  }
  if (!received || Buffer.compare(Buffer.from(received), Buffer.from(bytes)) !== 0) throw new Error('the QR round trip did not return the exact bundle');
  decodeMs.sort((a, b) => a - b);
  const medianDecode = decodeMs[decodeMs.length >> 1]!;

  const perRecord = bytes.byteLength / records;
  const perMinute = (shown: number) => (records / (shown / FPS)) * 60;
  const limitFrames = Math.ceil(bytes.byteLength / MAX_QR_BYTES);
  const lossy = shownWithMixedFrames(bytes, 0.8);
  const lossyPlain = shownPlainLoop(frames.length, 0.8);
  console.log(
    `  handover-qr: ${records} records, ${bytes.byteLength} signed bytes (${perRecord.toFixed(0)} a record), ${frames.length} frames of ${DEFAULT_CHUNK_BYTES} bytes (QR version ${version}, level ${QR_FRAME_ECC}); median jsQR decode ${medianDecode.toFixed(1)} ms`,
  );
  const against = `version-40 QR (${MAX_QR_BYTES} bytes, the largest code) at the same ${FPS} codes/s`;
  return [
    { figure: `QR hand-over, records a minute (${FPS} codes/s, every code caught)`, minsheng: perMinute(frames.length), comparison: perMinute(limitFrames), against, kind: 'target', unit: 'records/min' },
    { figure: 'QR hand-over, records a minute (camera misses 1 code in 5 at random)', minsheng: perMinute(lossy), comparison: perMinute(lossyPlain), against: 'the same frames looped without mixed frames', kind: 'peer', unit: 'records/min' },
    { figure: `bytes a QR frame carries (version ${version}, level ${QR_FRAME_ECC})`, minsheng: DEFAULT_CHUNK_BYTES, comparison: MAX_QR_BYTES, against: 'version 40, level L, byte mode', kind: 'target', unit: 'B' },
    { figure: 'decode one camera frame (jsQR in Node, 640×480, median)', minsheng: medianDecode, comparison: 1000 / FPS, against: `one code's time on screen at ${FPS}/s`, kind: 'target', unit: 'ms' },
  ];
}
