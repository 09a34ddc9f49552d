/**
 * Dashboard: the first render of the list with 1,000 runs in the store, measured in Chromium
 * (navigation start → the 1,000th row of the runs table visible), against the time to serve
 * the same JSON the page needs (/api/studies + /api/runs) to a plain HTTP client, from the same
 * server in the same run. The ratio is what the browser adds: parsing, scripts, DOM and layout.
 */
import path from 'node:path';
import { openStore } from '../src/experiments/store.js';
import { Catalog } from '../src/serve/catalog.js';
import { startServer } from '../src/serve/server.js';
import { hasChromium, launchChromium } from './chromium.js';
import { figure, type Benchmark } from './harness.js';

const STUDIES = 10;
const RUNS_PER_STUDY = 100;

/** A store of STUDIES finished studies of RUNS_PER_STUDY trials, each with one run. */
function fillStore(file: string, scratch: string): void {
  const store = openStore(file);
  for (let s = 0; s < STUDIES; s++) {
    const id = `sweep-${s}`;
    const dir = path.join(scratch, id);
    const trials = Array.from({ length: RUNS_PER_STUDY }, (_, i) => ({ id: `t${String(i).padStart(3, '0')}`, index: i, params: { lr: 10 ** (-4 + (i % 10) / 3), seed: i % 3 }, argv: ['train'], env: {}, dir: path.join(dir, `t${i}`) }));
    store.createStudy({ id, name: id, dir, planFile: 'plan.yaml', plan: { name: id }, planHash: 'h', executor: 'local' }, trials);
    store.db.transaction(() => {
      for (const t of trials) for (const to of ['submitted', 'running', 'done'] as const) store.transition(id, t.id, to);
    })();
    store.saveResults(id, trials.map((t) => ({ trialId: t.id, runId: t.id, format: 'jsonl', path: path.join(t.dir, 'metrics.jsonl') })), [], 'reachability', null);
  }
  store.close();
}

const best = (values: number[]) => Math.min(...values);

export const dashboardBenchmark: Benchmark = {
  name: 'dashboard',
  description: 'first render of the dashboard with 1,000 runs in the store (Chromium) vs serving the same JSON',
  async run(context) {
    if (!hasChromium()) return { figures: [], notes: ['dashboard: /usr/bin/chromium is missing (apt-get install -y chromium), skipped'] };
    const file = path.join(context.scratch, 'ladder.db');
    fillStore(file, context.scratch);
    const server = await startServer({ catalog: new Catalog(openStore(file), undefined), host: '127.0.0.1', port: 0 });
    const browser = await launchChromium();
    try {
      const json: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 7; i++) {
        const started = performance.now();
        const bodies = await Promise.all(['api/studies', 'api/runs'].map(async (p) => (await fetch(server.url + p)).text()));
        json.push((performance.now() - started) / 1000);
        bytes = bodies.reduce((n, b) => n + Buffer.byteLength(b), 0);
        if (!bodies[1]!.includes(`"t${String(RUNS_PER_STUDY - 1).padStart(3, '0')}"`)) throw new Error('dashboard bench: the runs JSON is incomplete');
      }
      const render: number[] = [];
      for (let i = 0; i < 5; i++) {
        const page = await browser.context.newPage();
        const started = performance.now();
        await page.goto(server.url);
        await page.locator(`[data-testid="runs"] tbody tr:nth-child(${STUDIES * RUNS_PER_STUDY})`).waitFor({ state: 'visible' });
        render.push((performance.now() - started) / 1000);
        await page.close();
      }
      context.log(`  ${STUDIES * RUNS_PER_STUDY} runs: first render ${(best(render) * 1000).toFixed(0)} ms (best of 5), JSON ${(best(json) * 1000).toFixed(1)} ms (best of 7, ${(bytes / 1024).toFixed(0)} kB)`);
      return {
        figures: [
          figure(
            'runs-1000.first-render-seconds',
            { value: best(render), unit: 's (wall, navigation to the 1,000th row visible in Chromium, best of 5)' },
            { name: 'serve /api/studies + /api/runs to a plain HTTP client (best of 7)', value: best(json), unit: 's' },
            'how many times longer the first render takes than fetching its data; lower is better',
          ),
        ],
        notes: [`${STUDIES} studies × ${RUNS_PER_STUDY} runs; the list's JSON is ${(bytes / 1024).toFixed(0)} kB`],
      };
    } finally {
      await browser.close();
      await server.close();
    }
  },
};
