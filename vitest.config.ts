import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/nodeVersion.ts'],
    setupFiles: ['test/setup/noUnhandled.ts'],
    reporters: ['default', './test/setup/noSkipsInCi.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
