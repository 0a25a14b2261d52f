/**
 * Ends a switch over a tagged union: the call compiles only when every case above it
 * returned, so a new member of the union is a type error until it is handled.
 */
export function exhaustive(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
