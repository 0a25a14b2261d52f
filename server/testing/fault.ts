// Test-only: MINSHENG_FAULT=kill-before-commit:N or kill-after-commit:N makes the process
// SIGKILL itself at that point of the Nth push. Never set it in production.

type Point = 'before-commit' | 'after-commit';

export function faultFromEnv(spec: string | undefined): ((point: Point) => void) | null {
  if (!spec) return null;
  const m = /^kill-(before-commit|after-commit):(\d+)$/.exec(spec);
  if (!m) throw new Error(`MINSHENG_FAULT must look like kill-after-commit:1, got "${spec}"`);
  const point = m[1] as Point;
  let left = Number(m[2]);
  console.warn(`FAULT INJECTION ON: SIGKILL at ${point} of push #${left}`);
  return (at) => {
    if (at === point && --left === 0) process.kill(process.pid, 'SIGKILL');
  };
}
