import { expect } from 'vitest';
import { fold, type AppealState } from '../../src/core/fold';
import { act, loadAppeal, type ActionInput } from '../../src/store/appeals';
import { until, type Device } from './clients';

// A person's steps on an appeal through their own device, for the sync integration tests.

/** The appeal as `d` holds it now, folded; null while `d` does not have it. */
export async function stateOn(d: Device, id: string): Promise<AppealState | null> {
  const s = await loadAppeal(d.db, id);
  return s && fold(s.events, id);
}

/** Waits until `d` has synced the appeal to a state that passes `ok`. */
export async function seen(d: Device, id: string, ok: (s: AppealState) => boolean, what: string): Promise<void> {
  await until(async () => {
    const s = await stateOn(d, id);
    return s !== null && ok(s);
  }, 15_000, `${d.session.user.username} sees ${what}`);
}

/** A step through the app's own path: checked on the device, queued, pushed. */
export async function step(d: Device, id: string, input: ActionInput): Promise<void> {
  expect(await act(d.db, id, d.session.user, input), `${d.session.user.username} ${input.type}`).toEqual({ ok: true });
  d.engine.kick();
  await d.settled();
}
