import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    reporters: ['default', './tests/summary-reporter.ts'],
    // Native addons (onnxruntime, sharp, better-sqlite3) are happiest in child processes.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for something another process or the browser does (a status line, a row):
    // 1 s (vitest's default) is too short on a loaded 2-core CI machine; a passing poll returns at once.
    expect: { poll: { timeout: 10_000 } },
  },
});
