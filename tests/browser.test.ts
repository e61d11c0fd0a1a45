import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM, describeWith, facesDir, yunetFile } from './helpers/assets.js';
import { startWeb } from './helpers/web.js';

const photo = path.join(facesDir, '2008_001009.jpg');

describeWith('playground in headless Chromium', [CHROMIUM, yunetFile, photo], () => {
  let s: Awaited<ReturnType<typeof startWeb>>;
  let browser: Browser;
  beforeAll(async () => {
    s = await startWeb();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Chromium's own background traffic would only hit this machine's closed network.
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
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('uploads a photo to /detect-faces and shows the result image (Spanish UI)', async () => {
    const page = await browser.newPage({ locale: 'es-AR' });
    await page.goto(`${s.url}/c/detect-faces`);
    expect(await page.locator('h1').textContent()).toBe('/detectar-caras');
    await page.setInputFiles('input[name=image]', photo);
    await page.click('button[type=submit]');
    const img = page.locator('img.result-image');
    await img.waitFor({ timeout: 30_000 });
    const size = await img.evaluate((el: HTMLImageElement) =>
      el.decode().then(() => [el.naturalWidth, el.naturalHeight]),
    );
    expect(size).toEqual([360, 480]);
    expect(await page.locator('#result-text').textContent()).toMatch(/Encontré 2 caras/);
    if (process.env.SINAPSIS_SCREENSHOT)
      await page.screenshot({ path: process.env.SINAPSIS_SCREENSHOT, fullPage: true });
  });

  it('/explain: the answer has follow-up buttons; "Más simple" asks again and shows the simpler version', async () => {
    const page = await browser.newPage({ locale: 'es-AR' });
    await page.goto(`${s.url}/c/explain`);
    await page.fill('input[name=topic], textarea[name=topic]', 'que es softmax');
    await page.click('button[type=submit]');
    await page.locator('#follow-ups').waitFor({ timeout: 30_000 });
    expect(await page.locator('#result-text').textContent()).toMatch(/^Softmax\nSoftmax convierte/);
    expect(await page.locator('button.follow-up').allTextContents()).toEqual([
      'Más simple',
      'Un ejemplo',
      '¿Y en el bot?',
    ]);
    await page.click('button.follow-up >> nth=0');
    await page.locator('#result-text', { hasText: 'Más simple' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#result-text').textContent()).toMatch(/Softmax transforma puntajes en porcentajes/);
    if (process.env.SINAPSIS_SCREENSHOT_EXPLAIN)
      await page.screenshot({ path: process.env.SINAPSIS_SCREENSHOT_EXPLAIN, fullPage: true });
  });

  it('shows a localized error for a file that is not an image', async () => {
    const page = await browser.newPage({ locale: 'en-US' });
    await page.goto(`${s.url}/c/detect-faces`);
    await page.setInputFiles('input[name=image]', {
      name: 'notes.jpg',
      mimeType: 'image/jpeg',
      buffer: Buffer.from('not an image'),
    });
    await page.click('button[type=submit]');
    await page.locator('#error').waitFor();
    expect(await page.locator('#error').textContent()).toMatch(/not an image I can read/);
  });
});
