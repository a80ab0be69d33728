import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time on two cores: the files wait on PostgreSQL, redis-server, Chromium and
    // child processes more than they compute (vitest's default on 2 cores is one at a time).
    // The whole suite: about 7 min with two, about 13 min with one, on the same machine.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
