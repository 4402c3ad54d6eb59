import { defineConfig } from '@playwright/test';
import { launchOptions } from './launch';

// Run by scripts/test.sh against a server it starts itself (BASE_URL).
export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  workers: 1,
  retries: 0,
  reporter: 'list',
  use: {
    baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3000',
    launchOptions,
  },
  projects: [
    {
      name: 'hydrated',
      use: { javaScriptEnabled: true },
    },
    {
      name: 'no-js',
      use: { javaScriptEnabled: false },
    },
  ],
});
