/**
 * A worker thread of the lab's trial pool (src/lab/pool.ts): its own training engine, one
 * trial at a time. jax-js's wasm backend runs on one core, so two workers use a 2-core
 * machine fully; every trial is seeded by its configuration alone, so where it runs does
 * not change a bit of its result.
 */
import { parentPort } from 'node:worker_threads';
import { startEngine } from './engine/index.js';
import type { TrainConfig } from './faults.js';
import { runTrial } from './trial.js';

export interface TrialRequest {
  id: number;
  config: TrainConfig;
}

export type TrialReply = { id: number; trial: Awaited<ReturnType<typeof runTrial>> } | { id: number; error: string };

const port = parentPort;
if (!port) throw new Error('trial-worker.js runs as a worker thread of the lab pool');
const engine = await startEngine();
port.on('message', (request: TrialRequest) => {
  runTrial(engine, request.config).then(
    (trial) => port.postMessage({ id: request.id, trial } satisfies TrialReply),
    (error: unknown) => port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies TrialReply),
  );
});
port.postMessage({ ready: true });
