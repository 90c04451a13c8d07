import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityViolations, type Browser, baseUrl, fixture, fixturePath, openBrowser, screenshot } from './browser.ts';

// Three real photographs (JPEG 3 MP, JPEG 4 MP, PNG 1600 px) from tests/fixtures/make-fixtures.mjs.
const PHOTOS = [
  { name: 'photo-3mp.jpg', type: 'image/jpeg' },
  { name: 'photo-4mp.jpg', type: 'image/jpeg' },
  { name: 'photo.png', type: 'image/png' },
];
const BOXES = { big: 1024, medium: 512, small: 256, tiny: 128 } as const;

let browser: Browser;
let page: Page;
let cdp: CDPSession;

beforeAll(async () => {
  browser = await openBrowser();
  page = browser.page;
  cdp = await browser.context.newCDPSession(page);
  await cdp.send('Network.enable');
  // Intercept file dialogs from the start: switching interception on only when a test waits for one
  // races with the key press that opens it.
  page.on('filechooser', () => {});
});

/** Chromium's network emulation: `uploadBytesPerSecond` -1 is unthrottled. */
function network(options: { offline?: boolean; uploadBytesPerSecond?: number }) {
  return cdp.send('Network.emulateNetworkConditions', {
    offline: options.offline ?? false,
    latency: options.uploadBytesPerSecond && options.uploadBytesPerSecond > 0 ? 10 : 0,
    downloadThroughput: -1,
    uploadThroughput: options.uploadBytesPerSecond ?? -1,
  });
}

afterAll(async () => {
  await browser?.close();
});

const card = (name: string) => page.locator('li.card', { has: page.getByRole('heading', { name, exact: true, level: 3 }) });
const mine = () => page.getByRole('region', { name: /My uploads/ });

/** Loaded thumbnails in the page, as [card name, size, natural width, natural height]. */
function loadedThumbnails() {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLImageElement>('li.thumb img'))
      .filter((img) => img.complete && img.naturalWidth > 0)
      .map((img) => [
        img.closest('li.card')?.querySelector('h3')?.textContent ?? '',
        img.closest('li.thumb')?.getAttribute('data-size') ?? '',
        img.naturalWidth,
        img.naturalHeight,
      ]),
  );
}

async function waitForThumbnails(count: number) {
  await page.waitForFunction(
    (n) =>
      Array.from(document.querySelectorAll<HTMLImageElement>('li.thumb img')).filter((i) => i.complete && i.naturalWidth > 0).length === n,
    count,
    { timeout: 60_000, polling: 100 },
  );
}

describe('the upload page in Chromium', () => {
  it('loads its runtime config and the server limits', async () => {
    const response = await page.goto(baseUrl);
    expect(response?.status()).toBe(200);
    await expect(page.title()).resolves.toBe('imgr');
    // From GET / (max_upload_bytes, accepted_types), fetched through config.json's endpoint.
    await page.getByText(/^Images up to 25 MB each: JPEG, PNG, GIF, WEBP, AVIF\.$/).waitFor();
    expect(await page.getByLabel('Images to upload').getAttribute('accept')).toBe('image/jpeg,image/png,image/gif,image/webp,image/avif');
    await screenshot(page, '01-empty');
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('uploads three dropped photos with real progress bars, then shows their twelve sizes', async () => {
    // Slow the upload link down (2 MB/s) so the progress bars have something to show.
    await network({ uploadBytesPerSecond: 2_000_000 });
    // Record every value each progress bar shows, frame by frame.
    await page.evaluate(() => {
      const seen: Record<string, Array<[number, number]>> = {};
      (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
      const sample = () => {
        for (const bar of Array.from(document.querySelectorAll('progress'))) {
          const name = bar.getAttribute('aria-label') ?? '';
          const list = seen[name] ?? [];
          seen[name] = list;
          const last = list.at(-1);
          if (!last || last[0] !== bar.value || last[1] !== bar.max) list.push([bar.value, bar.max]);
        }
        requestAnimationFrame(sample);
      };
      requestAnimationFrame(sample);
    });

    const files = PHOTOS.map((p) => ({ ...p, base64: fixture(p.name).toString('base64') }));
    const dataTransfer = await page.evaluateHandle((list) => {
      const transfer = new DataTransfer();
      for (const f of list) {
        const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], f.name, { type: f.type }));
      }
      return transfer;
    }, files);
    const zone = page.getByTestId('dropzone');
    await zone.dispatchEvent('dragenter', { dataTransfer });
    expect(await zone.getAttribute('data-dragging')).toBe('true');
    await zone.dispatchEvent('dragover', { dataTransfer });
    await zone.dispatchEvent('drop', { dataTransfer });

    // Mid-upload: at least one bar part-way.
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('progress')).some((b) => b.value > 0 && b.value < b.max),
      undefined,
      { timeout: 20_000, polling: 50 },
    );
    await screenshot(page, '02-uploading');

    for (const photo of PHOTOS) {
      await card(photo.name).and(page.locator('[data-phase="uploaded"]')).waitFor({ timeout: 60_000 });
    }
    await network({});

    const seen = await page.evaluate(() => (window as unknown as { progressSeen: Record<string, Array<[number, number]>> }).progressSeen);
    for (const photo of PHOTOS) {
      const values = seen[`Upload of ${photo.name}`] ?? [];
      const [lastValue, lastMax] = values.at(-1) ?? [0, 0];
      // Complete, the whole file (tus counts the file's bytes; POST /image also its multipart envelope),
      // reached through intermediate steps.
      expect(lastValue).toBe(lastMax);
      expect(lastMax).toBeGreaterThanOrEqual(fixture(photo.name).length);
      expect(values.some(([v, max]) => v > 0 && v < max)).toBe(true);
      expect(
        await card(photo.name)
          .getByText(/^Uploaded · /)
          .isVisible(),
      ).toBe(true);
    }

    await waitForThumbnails(12);
    const thumbs = await loadedThumbnails();
    expect(thumbs).toHaveLength(12);
    for (const photo of PHOTOS) {
      const mineOnly = thumbs.filter(([name]) => name === photo.name);
      expect(mineOnly.map(([, size]) => size).sort()).toEqual(['big', 'medium', 'small', 'tiny']);
      for (const [, size, width, height] of mineOnly) {
        // Each size fits its box: the page shows the worker's real output.
        expect(Math.max(Number(width), Number(height))).toBeLessThanOrEqual(BOXES[size as keyof typeof BOXES]);
        // The label shows the real dimensions.
        expect(await card(photo.name).locator(`li.thumb[data-size="${size}"] .thumb-label`).textContent()).toBe(
          `${size} ${width}×${height}`,
        );
      }
    }
    await page
      .getByTestId('announcer')
      .filter({ hasText: /All sizes of .* are done/ })
      .waitFor({ state: 'attached' });
    // My uploads shows each tiny size too, trying again if it asked before the worker wrote it (lazy: once in view).
    await mine().scrollIntoViewIfNeeded();
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll<HTMLImageElement>('li.saved img')).filter((i) => i.complete && i.naturalWidth > 0).length ===
        3,
      undefined,
      { timeout: 30_000, polling: 100 },
    );
    await screenshot(page, '03-ready');
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(await mine().getByRole('listitem').count()).toBe(3);
  });

  it('copies a link and all links of a photo to the clipboard', async () => {
    const photo = card('photo-3mp.jpg');
    const bigUrl = (await photo.locator('[data-kind="big"] a.link-url').textContent()) ?? '';
    expect(bigUrl).toMatch(new RegExp(`^${baseUrl}image/[A-Za-z0-9]{8}/big$`));

    await photo.getByRole('button', { name: 'Copy big link of photo-3mp.jpg' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(bigUrl);
    expect(await photo.getByRole('button', { name: 'Copy big link of photo-3mp.jpg' }).textContent()).toBe('Copied');

    // The copied link serves the resized image.
    const fetched = await fetch(bigUrl);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe('image/jpeg');

    await photo.getByRole('button', { name: 'Copy all links of photo-3mp.jpg' }).click();
    const all = (await page.evaluate(() => navigator.clipboard.readText())).split('\n');
    expect(all).toHaveLength(5);
    expect(all[1]).toBe(bigUrl);
    expect(all[0]).toBe(bigUrl.replace(/\/big$/, ''));
  });

  it('deletes one upload from My uploads, on the server too', async () => {
    const original = (await card('photo-4mp.jpg').locator('[data-kind="original"] a.link-url').textContent()) ?? '';
    expect((await fetch(original)).status).toBe(200);
    // Opened in a tab of the same browser first, so it sits in Chromium's cache.
    const tab = await browser.context.newPage();
    expect((await tab.goto(original))?.status()).toBe(200);

    await mine().getByRole('button', { name: 'Delete photo-4mp.jpg' }).click();
    await screenshot(page, '04-confirm-delete');
    await mine().getByRole('button', { name: 'Yes, delete photo-4mp.jpg' }).click();
    await mine().getByRole('link', { name: 'photo-4mp.jpg' }).waitFor({ state: 'detached' });

    expect((await fetch(original)).status).toBe(404);
    // Reopened in the same browser: revalidated (Cache-Control: no-cache), so the 404, not the cached copy.
    const reopened = await tab.goto(original);
    expect(reopened?.status()).toBe(404);
    expect(await reopened?.headerValue('content-type')).toMatch(/^application\/json/);
    await screenshot(tab, '04b-reopened-after-delete');
    await tab.close();
    // Its card is gone too, and the list survives a reload.
    expect(await card('photo-4mp.jpg').count()).toBe(0);
    await page.reload();
    await mine().getByRole('link', { name: 'photo.png' }).waitFor();
    expect(await mine().getByRole('link').allTextContents()).toEqual(
      // Pick order, whatever order the uploads finished in.
      ['photo-3mp.jpg', 'photo.png'],
    );
    await screenshot(page, '05-after-delete');
  });

  it('uploads an image pasted with Ctrl+V', async () => {
    const webp = fixture('photo.webp').toString('base64');
    // Put a PNG on the system clipboard, as a screenshot tool would.
    await page.evaluate(async (base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/webp' }));
      const canvas = document.createElement('canvas');
      canvas.width = 640;
      canvas.height = Math.round((640 * bitmap.height) / bitmap.width);
      canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const png = await new Promise<Blob>((resolve, reject) =>
        canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('no blob'))), 'image/png'),
      );
      await navigator.clipboard.write([new ClipboardItem({ 'image/png': png })]);
    }, webp);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+V');

    const pasted = page.locator('li.card', { has: page.getByRole('heading', { name: /^pasted-\d{8}-\d{6}\.png$/, level: 3 }) });
    await pasted.waitFor({ timeout: 10_000 });
    await pasted.and(page.locator('[data-watch="complete"]')).waitFor({ timeout: 60_000 });
    await waitForThumbnails(4);
    await screenshot(page, '06-pasted');
  });

  it("refuses a non-image before sending it and shows the server's message for a disguised one", async () => {
    await page.getByLabel('Images to upload').setInputFiles([
      { name: 'not-an-image.txt', mimeType: 'text/plain', buffer: fixture('not-an-image.txt') },
      { name: 'disguised.png', mimeType: 'image/png', buffer: Buffer.from('plain text wearing a .png name\n') },
      { name: 'truncated.jpg', mimeType: 'image/jpeg', buffer: fixture('truncated.jpg') },
    ]);
    const text = card('not-an-image.txt');
    expect(await text.getByRole('alert').textContent()).toBe('Not uploaded: This is not an image (text/plain).');
    expect(await text.getByRole('button', { name: /Retry/ }).count()).toBe(0);

    const disguised = card('disguised.png').getByRole('alert');
    await disguised.waitFor({ timeout: 20_000 });
    expect(await disguised.locator('p').textContent()).toBe(
      'Not a supported image: This server takes JPEG, PNG, GIF, WebP and AVIF images only.',
    );
    // Sending the same bytes again cannot change the answer: no Retry for a 415 or a 422.
    expect(await card('disguised.png').getByRole('button', { name: /Retry/ }).count()).toBe(0);

    const truncated = card('truncated.jpg').getByRole('alert');
    await truncated.waitFor({ timeout: 20_000 });
    expect(await truncated.locator('p').textContent()).toBe(
      'Damaged image: The file is damaged or incomplete, so it cannot be read as an image. Save it again and retry.',
    );
    expect(await card('truncated.jpg').getByRole('button', { name: /Retry/ }).count()).toBe(0);
    await screenshot(page, '07-errors');
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('tells when the server cannot be reached, and retries once back online', async () => {
    await network({ offline: true });
    await page
      .getByLabel('Images to upload')
      .setInputFiles({ name: 'offline.webp', mimeType: 'image/webp', buffer: fixture('photo.webp') });
    const alert = card('offline.webp').getByRole('alert');
    await alert.waitFor({ timeout: 20_000 });
    expect(await alert.locator('p').textContent()).toBe('Offline: This device is offline. Retry once it is connected again.');
    await screenshot(page, '08-offline');
    await network({});
    await card('offline.webp').getByRole('button', { name: 'Retry offline.webp' }).click();
    await card('offline.webp').and(page.locator('[data-watch="complete"]')).waitFor({ timeout: 60_000 });
    expect(await card('offline.webp').getByRole('alert').count()).toBe(0);
  });

  it('is usable from the keyboard with a visible focus ring', async () => {
    await page.goto(baseUrl);
    await page.getByRole('button', { name: 'Choose images…' }).waitFor();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      return { text: el.textContent, outline: style.outlineStyle, width: style.outlineWidth };
    });
    expect(focused).toEqual({ text: 'Choose images…', outline: 'solid', width: '3px' });
    const chooser = page.waitForEvent('filechooser', { timeout: 5000 });
    await page.keyboard.press('Enter');
    const dialog = await chooser;
    expect(dialog.isMultiple()).toBe(true);
    await dialog.setFiles(fixturePath('photo.gif'));
    await card('photo.gif').and(page.locator('[data-watch="complete"]')).waitFor({ timeout: 60_000 });
    await screenshot(page, '09-keyboard');
  });

  it('fits a phone-width screen, in light and dark', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(baseUrl);
    await page.getByLabel('Images to upload').setInputFiles(fixturePath('portrait-exif6.jpg'));
    await card('portrait-exif6.jpg').and(page.locator('[data-watch="complete"]')).waitFor({ timeout: 60_000 });
    await waitForThumbnails(4);

    const layout = await page.evaluate(() => {
      const outside = Array.from(document.querySelectorAll('button, input:not([type=file]), a, progress, h1, h2, h3, li.thumb'))
        .map((el) => ({ el, box: el.getBoundingClientRect() }))
        .filter(({ box }) => box.width > 0 && (box.left < -0.5 || box.right > window.innerWidth + 0.5))
        .map(({ el }) => el.outerHTML.slice(0, 80));
      return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, outside };
    });
    expect(layout.outside).toEqual([]);
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.innerWidth);
    // Touch-sized controls: 44 px for every visible button and disclosure.
    const small = await page.evaluate(() =>
      Array.from(document.querySelectorAll('button, summary'))
        .map((el) => ({ text: el.textContent, height: el.getBoundingClientRect().height }))
        .filter(({ height }) => height > 0 && height < 44),
    );
    expect(small).toEqual([]);
    // The five links of the image tell themselves apart: each shows its whole URL (wrapped, never cut).
    const links = await card('portrait-exif6.jpg')
      .locator('a.link-url')
      .evaluateAll((els) => els.map((el) => ({ text: el.textContent ?? '', clipped: el.scrollWidth > el.clientWidth + 1 })));
    expect(links).toHaveLength(5);
    expect(links.every((link) => !link.clipped)).toBe(true);
    expect(links.map((link) => link.text.split('/').at(-1))).toEqual([
      expect.stringMatching(/^[A-Za-z0-9]{8}$/),
      'big',
      'medium',
      'small',
      'tiny',
    ]);
    await screenshot(page, '10-phone-light');

    const lightBackground = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    await page.emulateMedia({ colorScheme: 'dark' });
    const darkBackground = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(lightBackground).toBe('rgb(246, 247, 249)');
    expect(darkBackground).toBe('rgb(16, 18, 23)');
    await screenshot(page, '11-phone-dark');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, '12-desktop-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });
});
