// One shared "now" for deadlines on screen, ticking often enough for hours-level display.
export const clock = $state({ now: Date.now() });
setInterval(() => (clock.now = Date.now()), 30_000);
