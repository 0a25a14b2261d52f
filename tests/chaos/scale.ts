// The reliability suite runs twice: a fast slice in `npm test`, and at full size with
// `npm run test:chaos` (CHAOS=1). Each test takes its sizes from here.

export const CHAOS = process.env.CHAOS === '1';

/** `fast` in npm test, `full` under npm run test:chaos. */
export function scale<T>(fast: T, full: T): T {
  return CHAOS ? full : fast;
}
