import type { Page } from 'playwright-core';

/**
 * A camera-like JPEG made by Chromium itself: a 4000×3000 scene (sky over fields, with 400
 * patches of colour unless `shapes` is false) drawn at `scale`, sensor noise from `seed`, at
 * JPEG quality 0.92. Compresses like a phone's photo, not like a flat test card.
 */
export async function cameraPhoto(page: Page, { seed = 7, scale = 1, shapes = true } = {}): Promise<Buffer> {
  // tsx keeps function names with a helper the page does not have (bench runs through tsx).
  await page.evaluate('globalThis.__name ??= (f) => f');
  const b64 = await page.evaluate(
    async ([start, k, withShapes]) => {
      const c = new OffscreenCanvas(4000 * k, 3000 * k);
      const g = c.getContext('2d')!;
      g.scale(k, k);
      const sky = g.createLinearGradient(0, 0, 0, 3000);
      sky.addColorStop(0, '#87a9d6');
      sky.addColorStop(0.55, '#dfe8ef');
      sky.addColorStop(0.56, '#6b7f3a');
      sky.addColorStop(1, '#3d4a1f');
      g.fillStyle = sky;
      g.fillRect(0, 0, 4000, 3000);
      for (let i = 0; withShapes && i < 400; i++) {
        g.fillStyle = `hsl(${(i * 37) % 360} 40% ${30 + (i % 40)}%)`;
        g.fillRect((i * 997) % 4000, 1500 + ((i * 613) % 1500), 40 + (i % 120), 30 + (i % 90));
      }
      const img = g.getImageData(0, 0, c.width, c.height);
      let seed = start;
      for (let i = 0; i < img.data.length; i += 4) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const n = (seed % 25) - 12;
        for (let ch = 0; ch < 3; ch++) img.data[i + ch] = img.data[i + ch]! + n;
      }
      g.putImageData(img, 0, 0);
      const bytes = new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.92 })).arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    },
    [seed, scale, shapes] as const,
  );
  return Buffer.from(b64, 'base64');
}
