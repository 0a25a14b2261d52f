import { zhCN, type MessageKey } from './zh-CN';

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
type Messages = Record<MessageKey, string>;
// English is the second locale: its messages load when chosen, not with the first screen
// (the service worker precaches the chunk, so switching works offline too).
const loadEnglish = (): Promise<Messages> => import('./en').then((m) => m.en);
const STORAGE_KEY = 'minsheng.locale';
const TIME_ZONE = 'Asia/Shanghai';

function initialLocale(): Locale {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null;
  return saved === 'en' ? 'en' : 'zh-CN';
}

/** The locale shown and its messages; until English has loaded, Chinese stands in. */
const state = $state<{ locale: Locale; messages: Messages }>({ locale: 'zh-CN', messages: zhCN });

/** The locale last asked for: a slow load never overrides a later choice. */
let wanted: Locale = 'zh-CN';

async function show(l: Locale): Promise<void> {
  wanted = l;
  const messages = l === 'en' ? await loadEnglish() : zhCN;
  if (wanted !== l) return;
  state.locale = l;
  state.messages = messages;
  if (typeof document !== 'undefined') document.documentElement.lang = l;
}

if (initialLocale() === 'en') void show('en');

export function locale(): Locale {
  return state.locale;
}

export function setLocale(l: Locale): void {
  localStorage.setItem(STORAGE_KEY, l);
  void show(l);
}

/** Looks up a message; `{name}` placeholders take `params`. Unknown keys show themselves. */
export function t(key: MessageKey | string, params: Record<string, string | number> = {}): string {
  const text = (state.messages as Record<string, string>)[key] ?? key;
  if (!text.includes('{')) return text;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

/**
 * One formatter per locale and style, made once: building an Intl formatter costs far more than
 * using one, and every row of a list built its own.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function dateFormat(style: 'dateTime' | 'date' | 'month'): Intl.DateTimeFormat {
  const key = `${state.locale}|${style}`;
  let f = formatters.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions =
      style === 'dateTime' ? { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' } : style === 'date' ? { dateStyle: 'medium' } : { year: 'numeric', month: 'long' };
    f = new Intl.DateTimeFormat(DATE_LOCALE[state.locale], { timeZone: TIME_ZONE, ...options });
    formatters.set(key, f);
  }
  return f;
}

/** Dates always in China time, whatever the device's zone, written as the public pages write them (core/calendar.ts longDateTime). */
export function formatDateTime(ms: number): string {
  return dateFormat('dateTime').format(ms);
}
const DATE_LOCALE: Record<Locale, string> = { 'zh-CN': 'zh-CN', en: 'en-GB' };

/** A day: 2026年11月30日, 30 Nov 2026. */
export function formatDate(ms: number): string {
  return dateFormat('date').format(ms);
}

/** A report's period in words: "2026年11月23日 起的一周", "2026年11月" (its label stays the key exports use). */
export function periodName(p: { from: number; label: string }): string {
  if (p.label.length === 7) return dateFormat('month').format(p.from);
  return t('reports.weekOf', { day: formatDate(p.from) });
}

/** A byte count in the locale's digits and units: 312 KB, 4.1 MB. */
export function formatBytes(n: number): string {
  const [value, unit] = n >= 1024 * 1024 ? [n / 1024 / 1024, 'megabyte'] : n >= 1024 ? [n / 1024, 'kilobyte'] : [n, 'byte'];
  return new Intl.NumberFormat(state.locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
}
