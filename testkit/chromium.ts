// Debian's Chromium for tests and benchmarks (`npx playwright install` cannot download here),
// with the launch flags that work on these machines (REFERENCES.md): without the
// background-networking flags Chromium keeps dialling hosts the closed network refuses.
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
