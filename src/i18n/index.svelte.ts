import { en } from './en';
import { zhCN, type MessageKey } from './zh-CN';

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
const MESSAGES: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };
const STORAGE_KEY = 'minsheng.locale';
const TIME_ZONE = 'Asia/Shanghai';

function initialLocale(): Locale {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null;
  return saved === 'en' ? 'en' : 'zh-CN';
}

const state = $state({ locale: initialLocale() });

export function locale(): Locale {
  return state.locale;
}

export function setLocale(l: Locale): void {
  state.locale = l;
  localStorage.setItem(STORAGE_KEY, l);
  document.documentElement.lang = l;
}

/** Looks up a message; `{name}` placeholders take `params`. Unknown keys show themselves. */
export function t(key: MessageKey | string, params: Record<string, string | number> = {}): string {
  const text = (MESSAGES[state.locale] as Record<string, string>)[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

/** Dates always in China time, whatever the device's zone. */
export function formatDateTime(ms: number): string {
  return new Intl.DateTimeFormat(state.locale, { timeZone: TIME_ZONE, dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

/** A byte count in the locale's digits and units: 312 KB, 4.1 MB. */
export function formatBytes(n: number): string {
  const [value, unit] = n >= 1024 * 1024 ? [n / 1024 / 1024, 'megabyte'] : n >= 1024 ? [n / 1024, 'kilobyte'] : [n, 'byte'];
  return new Intl.NumberFormat(state.locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
}
