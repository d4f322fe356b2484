#!/usr/bin/env node
// Renders the tray's hand-written SVG icons (resources/icons/<state>.svg) to PNG at every size
// desktop panels ask for: resources/icons/<size>x<size>/<state>.png. The PNGs are committed
// (Electron's Tray takes raster images); run this again after changing an SVG.
//
// Rasterised by the system Chromium through playwright-core (rsvg-convert is not installed
// here, and Chromium's SVG renderer is the one the status page shows the icons with), on a
// transparent background, one device pixel per CSS pixel.
import { chromium } from 'playwright-core';
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const iconsDir = join(root, 'resources', 'icons');
export const ICON_SIZES = [16, 22, 24, 32, 48, 64];

const svgs = readdirSync(iconsDir)
  .filter((name) => name.endsWith('.svg'))
  .sort();
if (svgs.length === 0) {
  console.error('render-icons: no SVG in resources/icons');
  process.exit(1);
}
const browser = await chromium.launch({
  executablePath: process.env.BASTION_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const size of ICON_SIZES) {
    mkdirSync(join(iconsDir, `${size}x${size}`), { recursive: true });
    await page.setViewportSize({ width: size, height: size });
    for (const name of svgs) {
      const data = readFileSync(join(iconsDir, name)).toString('base64');
      await page.setContent(
        `<!doctype html><html><body style="margin:0;background:transparent">` +
          `<img id="i" width="${size}" height="${size}" style="display:block" ` +
          `src="data:image/svg+xml;base64,${data}"></body></html>`,
      );
      await page.locator('#i').evaluate((img) => img.decode());
      const png = await page.screenshot({
        omitBackground: true,
        clip: { x: 0, y: 0, width: size, height: size },
      });
      const out = join(iconsDir, `${size}x${size}`, name.replace(/\.svg$/, '.png'));
      writeFileSync(out, png);
    }
  }
  console.log(`render-icons: ${svgs.length} icons × ${ICON_SIZES.length} sizes`);
} finally {
  await browser.close();
}
