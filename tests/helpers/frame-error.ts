import { expect } from 'vitest';
import { FrameError } from '../../src/core/protocol';

/** The FrameError `fn` throws; fails the test if it throws anything else or nothing. */
export function frameError(fn: () => unknown): FrameError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FrameError);
    return err as FrameError;
  }
  throw new Error('expected a FrameError, but decoding succeeded');
}
