import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, baseUrl, fixture, openBrowser, screenshot } from './browser.ts';
import { type Running, startOriginalApiStandIn, startStaticSite } from './servers.ts';

// The page from its own origin (as the production web container serves it) with config.json naming
// the API elsewhere: the real imgr, then a stand-in for the original Python API.
const webDist = join(import.meta.dirname, '../../web/dist');

let browser: Browser;
let page: Page;
const running: Running[] = [];

beforeAll(async () => {
  browser = await openBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(running.map((r) => r.close()));
});

async function site(endpoint: string) {
  const started = await startStaticSite(webDist, { endpoint });
  running.push(started);
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(started.url).origin });
  return started.url;
}

const card = (name: string) => page.locator('li.card', { has: page.getByRole('heading', { name, exact: true, level: 3 }) });
const mine = () => page.getByRole('region', { name: /My uploads/ });

describe('the page on another origin than the API', () => {
  it('uploads, shows the sizes and deletes through CORS with an absolute endpoint', async () => {
    // No trailing slash on purpose: operators write it both ways.
    const url = await site(baseUrl.replace(/\/$/, ''));
    expect(new URL(url).origin).not.toBe(new URL(baseUrl).origin);
    await page.goto(url);
    await page.getByText(/^Images up to 25 MB each/).waitFor();

    await page.getByLabel('Images to upload').setInputFiles({ name: 'far.jpg', mimeType: 'image/jpeg', buffer: fixture('photo-3mp.jpg') });
    await card('far.jpg').and(page.locator('[data-watch="complete"]')).waitFor({ timeout: 60_000 });
    const original = (await card('far.jpg').locator('[data-kind="original"] a.link-url').textContent()) ?? '';
    expect(original).toMatch(new RegExp(`^${baseUrl}image/[A-Za-z0-9]{8}$`));
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll<HTMLImageElement>('li.thumb img')).filter((i) => i.naturalWidth > 0).length === 4,
    );

    await mine().getByRole('button', { name: 'Delete far.jpg' }).click();
    await mine().getByRole('button', { name: 'Yes, delete far.jpg' }).click();
    await mine().getByRole('link', { name: 'far.jpg' }).waitFor({ state: 'detached' });
    expect((await fetch(original)).status).toBe(404);
  });
});

describe('against the original API', () => {
  it('finds the sizes by probing their URLs and offers Forget instead of Delete', async () => {
    const standIn = await startOriginalApiStandIn(baseUrl);
    running.push(standIn);
    const url = await site(standIn.url);
    await page.goto(url);
    await page.getByRole('button', { name: 'Choose images…' }).waitFor();
    // The original tells no limits: the picker takes any image.
    expect(await page.getByLabel('Images to upload').getAttribute('accept')).toBe('image/*');

    await page.getByLabel('Images to upload').setInputFiles({ name: 'old.png', mimeType: 'image/png', buffer: fixture('photo.png') });
    await card('old.png').and(page.locator('[data-watch="complete"]')).waitFor({ timeout: 60_000 });
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll<HTMLImageElement>('li.thumb img')).filter((i) => i.naturalWidth > 0).length === 4,
    );
    expect(await card('old.png').locator('[data-kind="tiny"] a.link-url').textContent()).toMatch(
      new RegExp(`^${standIn.url}image/[A-Za-z0-9]{8}/tiny$`),
    );
    await screenshot(page, '20-original-api');

    expect(await mine().getByRole('button', { name: 'Delete old.png' }).count()).toBe(0);
    await mine().getByRole('button', { name: 'Forget old.png' }).click();
    expect(await mine().getByRole('listitem').count()).toBe(0);
  });
});
