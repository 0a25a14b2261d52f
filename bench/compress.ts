import { spawnSync } from 'node:child_process';
import * as zlib from 'node:zlib';

// General-purpose compressors at their strongest settings, applied to the same records as
// compact JSON: references for what a sync sends, not limits (a compressor that knew the
// data, or a shared dictionary, could go below every one of them).

export interface Compressed {
  gzip: number;
  brotli: number;
  /** null when neither this Node nor the system has zstd. */
  zstd: number | null;
}

type ZstdSync = (buf: Buffer, opts?: { params?: Record<number, number> }) => Buffer;
const nodeZstd = (zlib as unknown as { zstdCompressSync?: ZstdSync }).zstdCompressSync;
const zstdLevel = (zlib.constants as unknown as Record<string, number | undefined>).ZSTD_c_compressionLevel;
const cli = spawnSync('zstd', ['--version'], { encoding: 'utf8' });

/** Where zstd -19 comes from in this run, in words. */
export const ZSTD_SOURCE: string | null = nodeZstd && zstdLevel !== undefined ? `node:zlib (${process.version})` : cli.status === 0 ? `the zstd command (${/v\d+(\.\d+)+/.exec(cli.stdout)?.[0] ?? 'unknown version'}); node:zlib in ${process.version} has no zstd` : null;

function zstd19(buf: Buffer): number | null {
  if (nodeZstd && zstdLevel !== undefined) return nodeZstd(buf, { params: { [zstdLevel]: 19 } }).byteLength;
  if (cli.status !== 0) return null;
  // --long: a window as large as the input, like brotli's large window below.
  const out = spawnSync('zstd', ['-19', '--long=27', '-c', '-q'], { input: buf, maxBuffer: 1 << 30 });
  return out.status === 0 ? out.stdout.byteLength : null;
}

export function compressJson(value: unknown): Compressed {
  const buf = Buffer.from(JSON.stringify(value));
  const window = Math.min(zlib.constants.BROTLI_LARGE_MAX_WINDOW_BITS, Math.max(zlib.constants.BROTLI_MIN_WINDOW_BITS, Math.ceil(Math.log2(buf.byteLength + 1))));
  return {
    gzip: zlib.gzipSync(buf, { level: 9 }).byteLength,
    brotli: zlib.brotliCompressSync(buf, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_LARGE_WINDOW]: 1,
        [zlib.constants.BROTLI_PARAM_LGWIN]: window,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.byteLength,
        [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
      },
    }).byteLength,
    zstd: zstd19(buf),
  };
}
