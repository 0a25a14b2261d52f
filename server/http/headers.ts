import type { ServerResponse } from 'node:http';

// A strict policy the app runs under: only its own scripts, styles, sockets and workers.
// No inline scripts or styles at all: the build emits every script and stylesheet as a file.
// A configured tile server is the one other origin: images on the page, fetches from the
// service worker that caches them.
export const contentSecurityPolicy = (tileOrigin: string | null = null): string => [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  `img-src 'self' data: blob:${tileOrigin ? ` ${tileOrigin}` : ''}`,
  "media-src 'self' blob:",
  "font-src 'self'",
  `connect-src 'self'${tileOrigin ? ` ${tileOrigin}` : ''}`,
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const OTHER_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Field capture needs location, camera and microphone from this origin only.
  'permissions-policy': 'geolocation=(self), camera=(self), microphone=(self), payment=(), usb=()',
};

export function securityHeaders(tileOrigin: string | null = null): Record<string, string> {
  return { 'content-security-policy': contentSecurityPolicy(tileOrigin), ...OTHER_HEADERS };
}
