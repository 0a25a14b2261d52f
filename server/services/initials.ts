import { pinyin } from 'pinyin-pro';
import type { Region } from '../../src/core/regions';

// Pinyin initials for the village picker's search, worked out on the server so the phone
// does not carry a pinyin dictionary. Every reading of a character counts (重 → z or c).

const cache = new Map<string, string[]>();

export function initialsOf(name: string): string[] {
  let found = cache.get(name);
  if (!found) {
    found = [...name].map((ch) => {
      if (!/\p{Script=Han}/u.test(ch)) return /[a-z0-9]/i.test(ch) ? ch.toLowerCase() : '';
      const letters = pinyin(ch, { pattern: 'first', toneType: 'none', multiple: true, type: 'array' }) as string[];
      return [...new Set(letters.map((l) => l.toLowerCase()))].join('');
    });
    cache.set(name, found);
  }
  return found;
}

export function withInitials(regions: Region[]): Region[] {
  return regions.map((r) => ({ ...r, initials: initialsOf(r.name) }));
}
