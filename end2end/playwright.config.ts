import { defineConfig } from '@playwright/test';

// Run by scripts/test.sh against a server it starts itself (BASE_URL).
// Browsers come from Debian (`chromium`); `npx playwright install` is not used.
const launchOptions = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

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
