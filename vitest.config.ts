import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/nodeVersion.ts', 'test/setup/build.ts', 'test/setup/controlPlane.ts'],
    setupFiles: ['test/setup/noUnhandled.ts'],
    reporters: ['default', './test/setup/noSkipsInCi.ts'],
    // A hang guard, not a speed limit: the 1,000-schedule property run is 16-31 s of CPU on a shared
    // 2-core machine (slower on Node 22 than on 24), so 30 s failed it under load.
    testTimeout: 120_000,
    hookTimeout: 30_000,
  },
});
