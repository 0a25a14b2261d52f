import { deviceNow } from '../store/clock';
import { db } from './session.svelte';

// One shared "now" for deadlines on screen (the server's time, as far as the device knows
// it), ticking often enough for hours-level display.
export const clock = $state({ now: deviceNow(db) });
setInterval(() => (clock.now = deviceNow(db)), 30_000);
