/**
 * The dashboard end to end, in Debian's Chromium (/usr/bin/chromium) driven by playwright-core,
 * against the built `ladder serve`. Skipped, with a message, where Chromium is not installed
 * (`apt-get install -y chromium`; .ci/run installs it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, type Browser } from '../../bench/chromium.js';
import { openStore } from '../../src/experiments/store.js';
import { REPO } from '../support/corpus.js';
import { scratch } from '../support/files.js';
import { demoStore, HOSTILE, hostileDir, LONG } from '../serve/fixtures.js';
import { decodePng, differingPixelRatio } from './png.js';
import { serve, type Served } from './serve.js';

const SCREENSHOTS = path.join(REPO, 'test/e2e/__screenshots__');
/** Share of pixels allowed to differ from the baseline (font hinting, antialiasing). */
const SCREENSHOT_TOLERANCE = 0.02;

if (!hasChromium()) console.warn('test/e2e: /usr/bin/chromium is missing, the dashboard end-to-end tests are skipped (apt-get install -y chromium)');

// CI installs Chromium (.ci/run sets LADDER_REQUIRE_CHROMIUM=1): there a missing browser is a failure, not a skip.
describe.runIf(process.env.LADDER_REQUIRE_CHROMIUM === '1')('Chromium for the end-to-end tests', () => {
  it('is installed at /usr/bin/chromium', () => {
    expect(hasChromium()).toBe(true);
  });
});

describe.skipIf(!hasChromium())('the dashboard in Chromium', () => {
  const root = scratch('e2e');
  let browser: Browser;
  let served: Served;
  const dialogs: string[] = [];

  beforeAll(async () => {
    const demo = demoStore(root);
    const hostile = hostileDir(root);
    served = await serve(['--store', demo.file, '--dir', hostile], root);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  async function open(hash = '#/'): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(served.url) && !request.url().startsWith('data:')) outside.push(request.url());
    });
    await page.goto(served.url + hash);
    await page.waitForSelector(`body[data-ready]`);
    expect(outside).toEqual([]);
    return page;
  }

  async function plotsLoaded(page: Page): Promise<number> {
    await page.waitForFunction(() => [...document.querySelectorAll('img[data-testid="plot"]')].every((img) => (img as HTMLImageElement).complete));
    return page.$$eval('img[data-testid="plot"]', (imgs) => imgs.filter((img) => (img as HTMLImageElement).naturalWidth > 0).length);
  }

  it('lists studies and runs, and navigates to a run: its verdict and its plots', async () => {
    const page = await open();
    expect(await page.textContent('[data-testid="studies"] [data-testid="trial-count"]')).toBe('2/3');
    expect(await page.locator('[data-testid="runs"] tbody tr').count()).toBe(2 + HOSTILE.length + 1);
    await page.getByRole('link', { name: 't1', exact: true }).click();
    await page.waitForSelector('body[data-ready="run"]');
    expect(await page.textContent('[data-testid="verdict"] b')).toBe('Verdict: reachability');
    expect(await page.textContent('[data-testid="findings"]')).toContain('reachability.overfitting');
    expect(await plotsLoaded(page)).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  it('compares two runs side by side, with only the hyperparameters that differ', async () => {
    const page = await open();
    for (const name of ['t0', 't1']) {
      const id = await page.getByRole('link', { name, exact: true }).getAttribute('data-run-link');
      await page.check(`input[data-run="${id}"]`);
    }
    await page.click('[data-testid="compare"]');
    await page.waitForSelector('body[data-ready="compare"]');
    const rows = await page.$$eval('[data-testid="differing"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toEqual([['lr', '0.001', '0.1']]);
    expect(await page.textContent('[data-testid="side-A"] [data-testid="verdict"] b')).toBe('Verdict: none');
    expect(await page.textContent('[data-testid="side-B"] [data-testid="verdict"] b')).toBe('Verdict: reachability');
    expect(await plotsLoaded(page)).toBe(2);
    await page.close();
  });

  it('shows hostile run names, hyperparameters and tags as text; no script runs', async () => {
    const page = await open();
    const names = await page.$$eval('[data-testid="runs"] a[data-run-link]', (links) => links.map((a) => a.textContent));
    for (const hostile of HOSTILE.slice(1)) expect(names).toContain(hostile);
    expect(names).toContain(HOSTILE[0].replace(/\//g, '|'));
    const mlflow = await page.$eval('[data-testid="runs"] tbody tr:has(td:text-is("mlflow")) a', (a) => a.getAttribute('href'));
    await page.goto(served.url + mlflow);
    await page.waitForSelector('body[data-ready="run"]');
    const hparams = await page.$$eval('[data-testid="hparams"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(hparams).toContainEqual([HOSTILE[1].replace(/\//g, '|'), HOSTILE[0]]);
    expect(hparams).toContainEqual(['long', LONG]);
    expect(hparams).toContainEqual(['url', HOSTILE[2]]);
    const tags = await page.$$eval('[data-testid="tags"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(tags).toContainEqual([HOSTILE[3], HOSTILE[1]]);
    // No element was made from the data: no <img src=x>, no inline script, no <svg onload>, no link to javascript:.
    const injected = await page.evaluate(() => ({
      images: document.querySelectorAll('img:not([data-testid="plot"])').length,
      scripts: document.querySelectorAll('script:not([src])').length,
      svgs: document.querySelectorAll('svg').length,
      bold: document.querySelectorAll('main b[onmouseover]').length,
      javascriptLinks: [...document.querySelectorAll('a')].filter((a) => a.href.startsWith('javascript:')).length,
    }));
    expect(injected).toEqual({ images: 0, scripts: 0, svgs: 0, bold: 0, javascriptLinks: 0 });
    const scripted = await open();
    await scripted.getByRole('link', { name: HOSTILE[0].replace(/\//g, '|'), exact: true }).click();
    await scripted.waitForSelector('body[data-ready="run"]');
    expect(await plotsLoaded(scripted)).toBeGreaterThanOrEqual(1);
    expect(await scripted.textContent('main')).toContain(HOSTILE[0]);
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
    await page.close();
    await scripted.close();
  });

  it('matches the screenshot of a run within the tolerance', async () => {
    const page = await open();
    await page.getByRole('link', { name: 't0', exact: true }).click();
    await page.waitForSelector('body[data-ready="run"]');
    await plotsLoaded(page);
    await page.waitForFunction(() => document.getElementById('live')?.textContent === 'live');
    const shot = await page.screenshot();
    const baseline = path.join(SCREENSHOTS, 'run-t0.png');
    if (process.env.LADDER_UPDATE_SCREENSHOTS === '1' || !existsSync(baseline)) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      writeFileSync(baseline, shot);
      throw new Error(`wrote the baseline ${baseline}; look at it, commit it and run the test again`);
    }
    const expected = decodePng(readFileSync(baseline));
    const actual = decodePng(shot);
    expect([actual.width, actual.height]).toEqual([1100, 900]);
    const ratio = differingPixelRatio(actual, expected);
    if (ratio > SCREENSHOT_TOLERANCE) writeFileSync(path.join(root, 'run-t0.actual.png'), shot);
    expect(ratio).toBeLessThanOrEqual(SCREENSHOT_TOLERANCE);
    // The comparison sees a different page: the list differs from the run beyond the tolerance.
    await page.goto(served.url + '#/');
    await page.waitForSelector('body[data-ready="home"]');
    expect(differingPixelRatio(decodePng(await page.screenshot()), expected)).toBeGreaterThan(SCREENSHOT_TOLERANCE);
    await page.close();
  });
});

describe.skipIf(!hasChromium())('the dashboard while a study runs', () => {
  const root = scratch('e2e-live');

  it('shows the trial count rise while `ladder run` works, without reloading', async () => {
    const work = path.join(root, 'work');
    mkdirSync(work);
    const script = path.join(work, 'train.mjs');
    // Each trial takes a moment, then writes a short loss curve.
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';
await new Promise((r) => setTimeout(r, 1200));
const lr = Number(process.argv[2]);
const lines = [];
for (let i = 1; i <= 30; i++) lines.push(JSON.stringify({ step: i, train_loss: 2 * Math.exp(-i * lr * 10) + 0.3, val_loss: 2 * Math.exp(-i * lr * 10) + 0.35 }));
writeFileSync(process.env.LADDER_TRIAL_DIR + '/metrics.jsonl', lines.join('\\n') + '\\n');
`,
    );
    writeFileSync(path.join(work, 'plan.yaml'), JSON.stringify({ name: 'live', command: [process.execPath, script, '{lr}'], space: { lr: { choices: [0.01, 0.02, 0.03, 0.04] } } }));
    const storeFile = path.join(work, 'live.db');
    openStore(storeFile).close();
    const served = await serve(['--store', storeFile], work);
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(served.url);
      await page.waitForSelector('body[data-ready="home"]');
      await page.waitForFunction(() => document.getElementById('live')?.textContent === 'live');
      await page.evaluate(() => {
        (window as unknown as { marker: number }).marker = 1;
      });
      const runner = spawn(process.execPath, [path.join(REPO, 'bin/ladder.js'), 'run', 'plan.yaml', '--store', storeFile, '--parallel', '1'], { cwd: work, stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => runner.once('exit', resolve));
      const seen: string[] = [];
      while (!seen.includes('4/4')) {
        const handle = await page.waitForFunction(
          (last) => {
            const text = document.querySelector('[data-testid="studies"] [data-testid="trial-count"]')?.textContent;
            return text !== undefined && text !== last ? text : false;
          },
          seen.at(-1) ?? '',
          { timeout: 60_000, polling: 50 },
        );
        seen.push((await handle.jsonValue()) as string);
      }
      expect(await exited).toBe(0);
      const done = seen.map((s) => Number(s.split('/')[0]));
      expect(done).toEqual([...done].sort((a, b) => a - b));
      // Seen rising through intermediate counts, not only at the end.
      expect(done.filter((d) => d > 0 && d < 4).length).toBeGreaterThanOrEqual(1);
      // The same page all along: updated by server-sent events, never reloaded.
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    } finally {
      await browser.close();
      await served.stop();
    }
  });
});
