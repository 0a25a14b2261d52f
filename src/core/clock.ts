// Phones' clocks are often wrong — by minutes after a long time off the network, by hours or
// years after the battery died and the date reset. The server's clock is the reference: each
// welcome carries it, and a device stamps what it records with its own clock plus the last
// difference it saw, offline too. Ordering never depends on these stamps (the event array's
// order does); deadlines do, so they must be close to the truth.

/** Differences smaller than this are network noise, not a wrong clock. */
export const CLOCK_TOLERANCE_MS = 2_000;

/**
 * The server's clock minus the device's, from a server time read between `sentAt` and
 * `receivedAt` (device clock): the server stamped it about halfway through the round trip.
 */
export function clockOffset(serverTime: number, sentAt: number, receivedAt: number): number {
  const offset = Math.round(serverTime - (sentAt + receivedAt) / 2);
  return Math.abs(offset) < CLOCK_TOLERANCE_MS ? 0 : offset;
}
