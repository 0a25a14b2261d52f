import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 120_000,
    // Browser tests share one Chromium and one server build; run files one at a time on 2 cores.
    fileParallelism: false,
    // y-dexie announces every released document on console.debug.
    onConsoleLog: (log) => !/^Y\.Doc \S+ was destroyed/.test(log),
  },
});
