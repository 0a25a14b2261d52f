import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { boardHtml } from '../../server/http/points';
import { sendPage } from '../../server/http/public-page';
import { foldLedger, MAX_RULE_LABEL_CHARS, MAX_RULES, publicBoard, type LedgerEntry } from '../../src/core/points';

// The public board at its largest: the most households it lists, the most recent awards and
// every rule a village may have, with labels as long as allowed, in either language.

const T0 = 1_764_460_800_000;

function worstCase(): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  let n = 0;
  const id = () => `0190${String(n++).padStart(4, '0')}-0000-7000-8000-000000000000`;
  // Rules replaced over the years leave more labels than a list holds at once.
  for (let r = 0; r < MAX_RULES + 10; r++) {
    const label = `第${r}项`.padEnd(MAX_RULE_LABEL_CHARS, '好');
    for (let h = 0; h < 8; h++) entries.push({ id: id(), kind: 'award', household: `${100 + r}组-${1000 + h}`, points: 100, at: T0 + n * 1000, actor: 'a', rule: `r${r}`, label });
  }
  return entries;
}

function render(html: string, lang: 'zh-CN' | 'en'): string {
  let out = '';
  const res = { req: { headers: {} }, writeHead: () => res, end: (s: string) => void (out = s) } as unknown as ServerResponse;
  sendPage(res, 200, lang, 'x', html);
  return out;
}

describe('the public points board', () => {
  it('stays under 10 KB at its largest, in both languages', () => {
    const board = publicBoard(foldLedger(worstCase()));
    expect(board.standings).toHaveLength(30);
    expect(board.byRule).toHaveLength(MAX_RULES);
    for (const lang of ['zh-CN', 'en'] as const) {
      const page = render(boardHtml(board, '某某镇某某村', lang), lang);
      expect(Buffer.byteLength(page), lang).toBeLessThan(10 * 1024);
      console.info(`points board, largest, ${lang}: ${Buffer.byteLength(page)} bytes`);
    }
  });
});
