import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Browser-side benchmarks, run by scripts/bench.sh (not part of the test suite).
export default defineConfig({
  ...base,
  testDir: './bench',
  timeout: 300_000,
  projects: [{ name: 'hydrated', use: { javaScriptEnabled: true } }],
});
