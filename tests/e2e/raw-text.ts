import type { Page } from 'playwright-core';
import { zhCN } from '../../src/i18n/zh-CN';

// A message key the dictionary lacks shows itself (`t` falls back to the key), and a
// parameter the caller forgot shows as `{name}`: both are words no user should read.
const FAMILIES = [...new Set(Object.keys(zhCN).map((k) => k.split('.')[0]!))];

/** Visible text on the page that is a raw message key (`audit.comment_approved`) or an unfilled `{placeholder}`. */
export async function rawTextOn(page: Page): Promise<string[]> {
  return page.evaluate((families) => {
    const text = document.body.innerText;
    const keyLike = text.match(/(?<![\w/.:@-])[a-z][a-zA-Z]*(?:\.[a-zA-Z0-9_-]+)+(?![\w/.-])/g) ?? [];
    const keys = keyLike.filter((k) => families.includes(k.split('.')[0]!));
    const placeholders = text.match(/\{[a-zA-Z]\w*\}/g) ?? [];
    return [...new Set([...keys, ...placeholders])];
  }, FAMILIES);
}
