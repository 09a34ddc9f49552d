import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type Engine } from '../../src/lab/engine/index.js';
import { healthyConfig, lrGrid, gridAbove, gridBelow } from '../../src/lab/lab.js';
import { InProcessRunner, WorkerPool, workerScript } from '../../src/lab/pool.js';
import { runTrial } from '../../src/lab/trial.js';

const tiny = { ...healthyConfig('markov1', 5), steps: 12, warmup: 2, evaluations: 2, evalSize: 64 };
const script = workerScript();

describe('the learning-rate grid', () => {
  it('is the 1-3-10 grid researchers use: neighbours of a grid rate, and of a rate off the grid', () => {
    expect(lrGrid(1e-2)).toEqual([3e-3, 1e-2, 3e-2]);
    expect(lrGrid(0.3)).toEqual([0.1, 0.3, 1]);
    expect(lrGrid(1e-4)).toEqual([3e-5, 1e-4, 3e-4]);
    expect(gridBelow(0.05)).toBe(0.03);
    expect(gridAbove(0.05)).toBe(0.1);
    // At least 1.5× away: 0.028 is next to 0.03, so its neighbours skip it.
    expect(gridBelow(0.028)).toBe(0.01);
    expect(gridAbove(0.028)).toBe(0.1);
  });
});

describe('trial runners', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine();
  });

  it('in process: trials run one after another, in the order asked', async () => {
    const runner = new InProcessRunner(engine);
    const order: number[] = [];
    const trials = await Promise.all([1, 2, 3].map((seed) => runner.run({ ...tiny, seed }, () => order.push(seed))));
    expect(order).toEqual([1, 2, 3]);
    expect(trials.map((t) => t.config.seed)).toEqual([1, 2, 3]);
  });

  describe.runIf(script !== undefined)('on worker threads (the compiled worker in dist/)', () => {
    let pool: WorkerPool;
    beforeAll(async () => {
      pool = await WorkerPool.start(2, script!);
    });
    afterAll(() => pool.close());

    it('gives the same trial bit for bit as this thread, for every trial of a batch larger than the pool', async () => {
      const configs = [0, 1, 2].map((seed) => ({ ...tiny, seed }));
      const pooled = await Promise.all(configs.map((config) => pool.run(config)));
      for (const [i, config] of configs.entries()) {
        const local = await runTrial(engine, config);
        expect(pooled[i]!.freshLoss).toBe(local.freshLoss);
        expect(pooled[i]!.heldoutLoss).toBe(local.heldoutLoss);
        expect(Array.from(pooled[i]!.run.series['train/loss']!.values)).toEqual(Array.from(local.run.series['train/loss']!.values));
        expect(Array.from(pooled[i]!.run.series['eval/loss']!.values)).toEqual(Array.from(local.run.series['eval/loss']!.values));
      }
    });

    it('rejects a trial that fails in a worker with its message, and keeps working', async () => {
      await expect(pool.run({ ...tiny, world: 'no-such-world' })).rejects.toThrow(/no-such-world/);
      const after = await pool.run(tiny);
      expect(Number.isFinite(after.freshLoss)).toBe(true);
    });
  });

  it('a worker thread that exits mid-trial rejects that trial and the queued ones instead of leaving them waiting', async () => {
    // A stand-in worker: ready at once, and exits (as process.exit in an engine would) on its first trial.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ladder-pool-'));
    const exiting = path.join(dir, 'exiting-worker.mjs');
    writeFileSync(exiting, "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage({ ready: true });\nparentPort.on('message', () => process.exit(3));\n");
    const pool = await WorkerPool.start(1, exiting);
    try {
      const first = pool.run(tiny);
      const queued = pool.run({ ...tiny, seed: 9 });
      await expect(first).rejects.toThrow(/exited \(code 3\)/);
      await expect(queued).rejects.toThrow(/exited \(code 3\)/);
      await expect(pool.run(tiny)).rejects.toThrow(/exited/);
    } finally {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
