import qrcode from 'qrcode-generator';
import { describe, expect, it } from 'vitest';
import { qrSymbol } from '../../server/http/info-public';

// The contact cards' QR code is drawn as one SVG path of dark runs: reading the path back
// must give exactly the modules qrcode-generator computed, with a four-module quiet zone.

function modulesOf(svg: string): { size: number; dark: Set<string> } {
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)![1]);
  const dark = new Set<string>();
  for (const [, x, y, w] of / d="([^"]*)"/.exec(svg)![1]!.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
    for (let i = 0; i < Number(w); i++) dark.add(`${Number(y)},${Number(x) + i}`);
  }
  return { size, dark };
}

describe('the cards’ QR code', () => {
  it.each(['http://127.0.0.1:8080/p/', 'https://minsheng.lanling.gov.cn/p/'])('draws exactly the modules of %s', (url) => {
    const qr = qrcode(0, 'M');
    qr.addData(url);
    qr.make();
    const n = qr.getModuleCount();
    const { size, dark } = modulesOf(qrSymbol(url, 'qr'));
    expect(size).toBe(n + 8);
    const expected = new Set<string>();
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) expected.add(`${r + 4},${c + 4}`);
    expect([...dark].sort()).toEqual([...expected].sort());
  });
});
