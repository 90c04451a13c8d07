import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession, Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImgrProcess, repoRoot, startImgr } from '../support/imgr-process.mjs';
import { type Browser, fixture, fixturePath, openBrowser, screenshot } from './browser.ts';

// The page on a slow link, across reloads and with its server gone. This file runs its own `imgr all`
// (the step script's one must stay up), so it can kill it and start it again on the same port.

/** 400 kbit/s, a weak mobile uplink. */
const SLOW_UPLINK_BYTES_PER_SECOND = 50_000;

let browser: Browser;
let page: Page;
let cdp: CDPSession;
let imgr: ImgrProcess;
let dataDir: string;
let pageUrl: string;

function startServer(port?: number) {
  return startImgr('all', { IMGR_DATA_DIR: dataDir, IMGR_WEB_DIR: join(repoRoot, 'web/dist') }, port === undefined ? {} : { port });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'imgr-e2e-network-'));
  imgr = await startServer();
  pageUrl = `${imgr.url}/`;
  browser = await openBrowser();
  page = browser.page;
  cdp = await browser.context.newCDPSession(page);
  await cdp.send('Network.enable');
  page.on('filechooser', () => {});
});

afterAll(async () => {
  await browser?.close();
  await imgr?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function uplink(bytesPerSecond: number) {
  return cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: bytesPerSecond > 0 ? 40 : 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}

const card = (name: string) => page.locator('li.card', { has: page.getByRole('heading', { name, exact: true, level: 3 }) });
const mine = () => page.getByRole('region', { name: /My uploads/ });

/** Picks files the way a person does: a click on the button, then the file dialog (a real user gesture). */
async function pickFiles(...names: string[]) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose images…' }).click();
  await (await chooser).setFiles(names.map(fixturePath));
}

/** Keeps every distinct value the progress bar of `name` shows, frame by frame, in window.progressValues. */
function recordProgress(name: string) {
  return page.evaluate((label) => {
    const values: number[] = [];
    (window as unknown as { progressValues: number[] }).progressValues = values;
    const sample = () => {
      const bar = document.querySelector<HTMLProgressElement>(`progress[aria-label="${label}"]`);
      if (bar && bar.value !== values.at(-1)) values.push(bar.value);
      requestAnimationFrame(sample);
    };
    requestAnimationFrame(sample);
  }, `Upload of ${name}`);
}

function partWay() {
  return page.waitForFunction(
    () => Array.from(document.querySelectorAll('progress')).some((b) => b.value > 0 && b.value < b.max),
    undefined,
    {
      timeout: 30_000,
      polling: 50,
    },
  );
}

describe('the upload page on a real network', () => {
  it('uploads a 1 MB photo over a 400 kbit/s uplink, with progress that moves, then shows its sizes', async () => {
    const response = await page.goto(pageUrl);
    expect(response?.status()).toBe(200);
    await page.getByText(/^Images up to /).waitFor();
    await uplink(SLOW_UPLINK_BYTES_PER_SECOND);
    await recordProgress('photo-4mp.jpg');
    expect(fixture('photo-4mp.jpg').length).toBeGreaterThan(800_000);
    await pickFiles('photo-4mp.jpg');

    await partWay();
    await screenshot(page, 'net-01-slow-uplink');
    // About 20 s on this link: longer than the API's body-rate window, which must not cut it.
    await card('photo-4mp.jpg').and(page.locator('[data-phase="uploaded"]')).waitFor({ timeout: 80_000 });
    await uplink(-1);
    const values = await page.evaluate(() => (window as unknown as { progressValues: number[] }).progressValues);
    const between = values.filter((v, i) => i > 0 && i < values.length - 1 && v > 0);
    // Many steps on the way, each further than the one before.
    expect(between.length).toBeGreaterThanOrEqual(5);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(await card('photo-4mp.jpg').getByRole('alert').count()).toBe(0);

    // Its link for every size, from the upload's answer.
    const kinds = await card('photo-4mp.jpg')
      .locator('[data-kind] a.link-url')
      .evaluateAll((els) => els.map((el) => el.closest('[data-kind]')?.getAttribute('data-kind')));
    expect(kinds).toEqual(['original', 'big', 'medium', 'small', 'tiny']);
    await screenshot(page, 'net-02-slow-uplink-done');
  });

  it('revalidates the page and takes its hashed assets from the cache on a reload; My uploads stay', async () => {
    const seen = new Map<string, { url: string; status?: number; cached: boolean }>();
    const onRequest = (e: { requestId: string; request: { url: string } }) => seen.set(e.requestId, { url: e.request.url, cached: false });
    const onServedFromCache = (e: { requestId: string }) => {
      const entry = seen.get(e.requestId);
      if (entry) entry.cached = true;
    };
    const onResponse = (e: { requestId: string; response: { status: number; fromDiskCache?: boolean } }) => {
      const entry = seen.get(e.requestId);
      if (!entry) return;
      entry.status = e.response.status;
      if (e.response.fromDiskCache) entry.cached = true;
    };
    cdp.on('Network.requestWillBeSent', onRequest);
    cdp.on('Network.requestServedFromCache', onServedFromCache);
    cdp.on('Network.responseReceived', onResponse);
    try {
      await page.reload();
      await mine().getByRole('link', { name: 'photo-4mp.jpg' }).waitFor();
      await page.getByText(/^Images up to /).waitFor();
    } finally {
      cdp.off('Network.requestWillBeSent', onRequest);
      cdp.off('Network.requestServedFromCache', onServedFromCache);
      cdp.off('Network.responseReceived', onResponse);
    }
    const loads = Array.from(seen.values());
    const html = loads.filter((l) => l.url === pageUrl && l.status !== undefined);
    expect(html.length).toBeGreaterThan(0);
    // Asked of the server again (no-cache): a 304 for the unchanged build, or a 200 with a new one.
    for (const load of html) {
      expect(load.cached).toBe(false);
      expect([200, 304]).toContain(load.status);
    }
    const assets = loads.filter((l) => new URL(l.url).pathname.startsWith('/assets/'));
    expect(assets.map((a) => a.url).some((u) => u.endsWith('.js'))).toBe(true);
    expect(assets.filter((a) => !a.cached)).toEqual([]);

    // The saved upload still links to its image, which the server still serves.
    const link = mine().getByRole('link', { name: 'photo-4mp.jpg' });
    const href = (await link.getAttribute('href')) ?? '';
    expect(href).toMatch(/\/image\/[A-Za-z0-9]{8}/);
    expect((await fetch(new URL(href, pageUrl))).status).toBe(200);
    await screenshot(page, 'net-03-warm-reload');
  });

  it('asks before a reload cancels a slow upload, and shows no trace of it afterwards', async () => {
    await uplink(SLOW_UPLINK_BYTES_PER_SECOND);
    await pickFiles('photo-15mp.jpg');
    await partWay();
    await screenshot(page, 'net-04-before-reload');

    const dialogs: string[] = [];
    page.once('dialog', (dialog) => {
      dialogs.push(dialog.type());
      void dialog.accept();
    });
    await page.reload();
    expect(dialogs).toEqual(['beforeunload']);
    await uplink(-1);

    await page.getByText(/^Images up to /).waitFor();
    await mine().getByRole('link', { name: 'photo-4mp.jpg' }).waitFor();
    // Neither a card nor a saved entry for the upload that never finished.
    expect(await page.locator('li.card').count()).toBe(0);
    expect(await mine().getByRole('link').allTextContents()).toEqual(['photo-4mp.jpg']);
    expect(await page.getByText('photo-15mp.jpg').count()).toBe(0);
    await screenshot(page, 'net-05-after-reload');
  });

  it('resumes an upload cut off mid-way after a reload, when the same file is picked again', async () => {
    // Start clean: the reload above left a resumable upload of this file, which would be resumed too.
    await page.evaluate(() => {
      for (const key of Object.keys(localStorage)) if (key.startsWith('tus::')) localStorage.removeItem(key);
    });
    const size = fixture('photo-15mp.jpg').length;
    const patches: Array<{ offset: number }> = [];
    const onRequest = (e: { request: { method: string; url: string; headers: Record<string, string> } }) => {
      if (e.request.method !== 'PATCH') return;
      const header = Object.entries(e.request.headers).find(([name]) => name.toLowerCase() === 'upload-offset');
      patches.push({ offset: Number(header?.[1] ?? -1) });
    };
    cdp.on('Network.requestWillBeSent', onRequest);
    try {
      await uplink(100_000);
      await pickFiles('photo-15mp.jpg');
      await page.waitForFunction(
        (label) => {
          const bar = document.querySelector<HTMLProgressElement>(`progress[aria-label="${label}"]`);
          return bar !== null && bar.value / bar.max > 0.3;
        },
        'Upload of photo-15mp.jpg',
        { timeout: 30_000, polling: 100 },
      );
      // The connection is cut (the server dies mid-PATCH; CDP's offline mode leaves a request in
      // flight running): tus retries, then the page says it cannot reach the server.
      const port = Number(new URL(imgr.url).port);
      await imgr.stop('SIGKILL');
      await card('photo-15mp.jpg').getByRole('alert').waitFor({ timeout: 30_000 });
      await screenshot(page, 'net-05b-connection-cut');
      imgr = await startServer(port);
      await uplink(-1);
      const accept = (dialog: Dialog) => void dialog.accept();
      page.on('dialog', accept);
      await page.reload();
      page.off('dialog', accept);
      await page.getByText(/^Images up to /).waitFor();
      expect(await page.locator('li.card').count()).toBe(0);

      const before = patches.length;
      await pickFiles('photo-15mp.jpg');
      await card('photo-15mp.jpg').and(page.locator('[data-phase="uploaded"]')).waitFor({ timeout: 60_000 });
      await screenshot(page, 'net-05c-resumed-done');
      const resumed = patches.slice(before);
      expect(resumed.length).toBeGreaterThan(0);
      const offset = resumed[0]?.offset ?? 0;
      console.log(`resumed at ${offset} of ${size} bytes: ${size - offset} sent again (${Math.round(((size - offset) / size) * 100)} %)`);
      // It went on from what the server had, not from the start.
      expect(offset).toBeGreaterThan(size * 0.2);
      expect(offset).toBeLessThan(size);
    } finally {
      cdp.off('Network.requestWillBeSent', onRequest);
      await uplink(-1);
    }
    // The finished image has its four sizes.
    const href = (await card('photo-15mp.jpg').locator('[data-kind="original"] a.link-url').getAttribute('href')) ?? '';
    const id = /\/image\/([A-Za-z0-9]{8})/.exec(href)?.[1];
    expect(id).toBeDefined();
    await expect
      .poll(
        async () => {
          const status = (await (await fetch(`${imgr.url}/image/${id}/status`)).json()) as { sizes: Record<string, { state: string }> };
          return Object.values(status.sizes).map((size) => size.state);
        },
        { timeout: 30_000 },
      )
      .toEqual(['ready', 'ready', 'ready', 'ready']);
    await mine().getByRole('link', { name: 'photo-15mp.jpg' }).waitFor();
  });

  it('says in plain words that the server does not answer, and a retry works once it is back', async () => {
    const port = Number(new URL(imgr.url).port);
    await imgr.stop('SIGKILL');
    await pickFiles('photo-3mp.jpg');
    const alert = card('photo-3mp.jpg').getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    const text = (await alert.textContent()) ?? '';
    expect(await alert.locator('p').textContent()).toBe(
      'Server unreachable: The server does not answer: it may be down or restarting. Retry in a moment.',
    );
    expect(text).not.toMatch(/Failed to fetch|TypeError|NetworkError|at .*\.js/);
    await screenshot(page, 'net-06-server-down');

    imgr = await startServer(port);
    await card('photo-3mp.jpg').getByRole('button', { name: 'Retry photo-3mp.jpg' }).click();
    await card('photo-3mp.jpg').and(page.locator('[data-phase="uploaded"]')).waitFor({ timeout: 60_000 });
    expect(await card('photo-3mp.jpg').getByRole('alert').count()).toBe(0);
    await mine().getByRole('link', { name: 'photo-3mp.jpg' }).waitFor();
    await screenshot(page, 'net-07-server-back');
  });
});
