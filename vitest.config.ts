import { defineConfig } from 'vitest/config';

/** The render tests keep both cores busy with Chromium for minutes: they run after the rest, on their own. */
const BROWSER_HEAVY = ['test/render/**/*.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Most files wait on timers and other processes, not the CPU: two at a time (2 cores) cut the wall time.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: BROWSER_HEAVY,
          sequence: { groupOrder: 0 },
        },
      },
      // One render file at a time: two Chromium-bound files on two cores ran pages past their deadlines.
      {
        extends: true,
        test: { name: 'render', include: BROWSER_HEAVY, sequence: { groupOrder: 1 }, maxWorkers: 1 },
      },
    ],
  },
});
