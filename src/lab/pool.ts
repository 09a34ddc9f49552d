/**
 * Where the lab's trials run: in this thread on one engine, or on a pool of worker threads
 * (one engine each) so that a 2-core machine trains two trials at once. Both run trials in
 * the order they are asked for, at most `size` at a time; results are the same bit for bit
 * (tested in test/lab/pool.test.ts).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiledSibling } from '../compiled.js';
import { startEngine, type Engine } from './engine/index.js';
import type { TrainConfig } from './faults.js';
import type { TrialReply, TrialRequest } from './trial-worker.js';
import { runTrial, type Trial } from './trial.js';

export interface TrialRunner {
  /** Trials that may run at once. */
  readonly size: number;
  run(config: TrainConfig, onStart?: () => void): Promise<Trial>;
  close(): Promise<void>;
}

/** One engine in this thread: trials run one after another. */
export class InProcessRunner implements TrialRunner {
  readonly size = 1;
  #chain: Promise<unknown> = Promise.resolve();
  constructor(private readonly engine: Engine) {}

  run(config: TrainConfig, onStart?: () => void): Promise<Trial> {
    const next = this.#chain.then(() => {
      onStart?.();
      return runTrial(this.engine, config);
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {}
}

/** The compiled worker next to this file; from sources (tests), the one in dist/ when built. */
export function workerScript(): string | undefined {
  const script = compiledSibling(import.meta.url, 'trial-worker.js');
  return existsSync(script) ? script : undefined;
}

interface Job {
  request: TrialRequest;
  onStart?: () => void;
  resolve: (trial: Trial) => void;
  reject: (error: Error) => void;
}

/** Worker threads, each with its own engine; a trial goes to the first idle one. */
export class WorkerPool implements TrialRunner {
  readonly #queue: Job[] = [];
  readonly #idle: Worker[] = [];
  readonly #busy = new Map<Worker, Job>();
  readonly #workers: Worker[] = [];
  #nextId = 0;
  #failure: Error | undefined;
  #closing = false;

  private constructor(readonly size: number) {}

  static async start(size: number, script: string): Promise<WorkerPool> {
    const pool = new WorkerPool(size);
    await Promise.all(Array.from({ length: size }, () => pool.#spawn(script)));
    return pool;
  }

  #spawn(script: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(script);
      this.#workers.push(worker);
      worker.on('message', (message: TrialReply | { ready: true }) => {
        if ('ready' in message) {
          this.#idle.push(worker);
          resolve();
          this.#dispatch();
          return;
        }
        const job = this.#busy.get(worker);
        this.#busy.delete(worker);
        this.#idle.push(worker);
        if (job) {
          if ('error' in message) job.reject(new Error(message.error));
          else job.resolve(message.trial);
        }
        this.#dispatch();
      });
      // A worker that dies (an error, or an exit without one: process.exit in the engine, a
      // thread terminated from outside) takes its trial with it; the pool refuses further work
      // rather than leave a trial waiting forever.
      const fail = (error: Error) => {
        this.#failure ??= error;
        this.#busy.get(worker)?.reject(error);
        this.#busy.delete(worker);
        for (const job of this.#queue.splice(0)) job.reject(error);
        reject(error);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (!this.#closing) fail(new Error(`lab: a trial worker thread exited (code ${code}) while the lab was running`));
      });
    });
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.shift()!;
      const job = this.#queue.shift()!;
      this.#busy.set(worker, job);
      job.onStart?.();
      worker.postMessage(job.request);
    }
  }

  run(config: TrainConfig, onStart?: () => void): Promise<Trial> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#queue.push({ request: { id: this.#nextId++, config }, ...(onStart ? { onStart } : {}), resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}

/** Threads the lab uses by default: one per core, at most 4 (each trial is small; more only contend for memory). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/**
 * A runner with `workers` threads: a worker pool when more than one and the compiled worker
 * exists, else one engine in this thread.
 */
export async function startRunner(workers = defaultWorkers()): Promise<TrialRunner> {
  const script = workers > 1 ? workerScript() : undefined;
  if (script) return WorkerPool.start(workers, script);
  return new InProcessRunner(await startEngine());
}
