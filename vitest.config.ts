import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    reporters: ['default', './tests/summary-reporter.ts'],
    testTimeout: 60_000,
    // Files share each worker's module graph instead of re-importing it per file (import was
    // most of the wall time: 121 s -> 58 s here). Safe because module-level state is keyed by the
    // kernel or machine instance; checked with --sequence.shuffle.files on two seeds.
    isolate: false,
  },
});
