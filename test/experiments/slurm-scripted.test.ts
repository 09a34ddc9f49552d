/**
 * The Slurm executor against a scripted Slurm: sbatch, squeue, sacct, scontrol and scancel are
 * one small program that answers from a scenario (each squeue call on a job returns the next
 * frame of its script). For the races a real one-node cluster shows only under load, such as
 * a requeued task later recorded FAILED by the node failure's SIGTERM.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrialEvent } from '../../src/experiments/executor.js';
import { slurmExecutor } from '../../src/experiments/executors/slurm.js';
import { scratch } from '../support/files.js';

interface Scenario {
  /** Job ids sbatch prints, one per call. */
  sbatch: string[];
  /** Per job id, the squeue frames (lines `<job>_<i>|STATE|restarts|reason`) of successive calls; the last repeats. */
  squeue: Record<string, string[][]>;
  /** sacct lines `<job>_<i>|STATE|exit:signal`. */
  sacct: string[];
}

const FAKE_SLURM = `
import { existsSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
const dir = path.dirname(new URL(import.meta.url).pathname);
const scenario = JSON.parse(readFileSync(path.join(dir, 'scenario.json'), 'utf8'));
const countsFile = path.join(dir, 'counts.json');
const counts = existsSync(countsFile) ? JSON.parse(readFileSync(countsFile, 'utf8')) : {};
const next = (key) => { const n = counts[key] ?? 0; counts[key] = n + 1; writeFileSync(countsFile, JSON.stringify(counts)); return n; };
const [command, ...args] = process.argv.slice(2);
appendFileSync(path.join(dir, 'calls.log'), JSON.stringify([command, ...args]) + '\\n');
const jobs = () => (args[args.indexOf('-j') + 1] ?? '').split(',');
if (command === 'sbatch') console.log(scenario.sbatch[next('sbatch')]);
else if (command === 'squeue') {
  for (const job of jobs()) {
    const frames = scenario.squeue[job] ?? [];
    if (frames.length) console.log(frames[Math.min(next('squeue' + job), frames.length - 1)].join('\\n'));
  }
} else if (command === 'sacct') console.log(scenario.sacct.join('\\n'));
else if (command === 'scontrol') console.log('AccountingStorageType = accounting_storage/slurmdbd');
`;

function scriptedSlurm(root: string, name: string, scenario: Scenario) {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  writeFileSync(path.join(dir, 'bin', 'scenario.json'), JSON.stringify(scenario));
  writeFileSync(path.join(dir, 'bin', 'fake-slurm.mjs'), FAKE_SLURM);
  const commands: Record<string, string> = {};
  for (const command of ['sbatch', 'squeue', 'sacct', 'scontrol', 'scancel']) {
    const file = path.join(dir, 'bin', command);
    writeFileSync(file, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(dir, 'bin', 'fake-slurm.mjs'))} ${command} "$@"\n`);
    chmodSync(file, 0o755);
    commands[command] = file;
  }
  const taskScript = path.join(dir, 'bin', 'task.js');
  writeFileSync(taskScript, '');
  const executor = slurmExecutor({ pollIntervalMs: 20, commands, taskScript });
  const sbatchCalls = () =>
    existsSync(path.join(dir, 'bin', 'calls.log'))
      ? readFileSync(path.join(dir, 'bin', 'calls.log'), 'utf8').split('\n').filter((line) => line.startsWith('["sbatch"')).length
      : 0;
  return {
    sbatchCalls,
    async run(): Promise<TrialEvent[]> {
      const events: TrialEvent[] = [];
      const study = path.join(dir, 'study');
      mkdirSync(path.join(study, 'trials'), { recursive: true });
      await executor.run([{ id: 't0', argv: ['/bin/true'], dir: path.join(study, 'trials', 't0'), timeoutSeconds: 60 }], {
        study: { id: name, name },
        dir: study,
        signal: new AbortController().signal,
        onEvent: (event) => events.push(event),
      });
      return events;
    },
  };
}

const summary = (events: TrialEvent[]) => events.map((event) => [event.state, event.handle, event.reason, event.exitCode].filter((x) => x !== undefined).join(' '));

describe('slurm executor on a scripted Slurm', () => {
  const root = scratch('slurm-scripted');

  it('resubmits a requeued task that Slurm then records FAILED by SIGTERM with no completion marker', async () => {
    const slurm = scriptedSlurm(root, 'interrupted', {
      sbatch: ['100', '200'],
      squeue: {
        '100': [['100_0|RUNNING|0|None'], ['100_0|PENDING|1|BeginTime'], ['100_0|RUNNING|1|None'], ['100_0|FAILED|1|None']],
        '200': [['200_0|RUNNING|0|None'], ['200_0|COMPLETED|0|None']],
      },
      sacct: ['100_0|FAILED|0:15', '200_0|COMPLETED|0:0'],
    });
    const events = await slurm.run();
    expect(summary(events)).toEqual([
      'submitted 100_0',
      'running 100_0',
      'submitted 100_0 node-failure',
      'running 100_0',
      'submitted 200_0 node-failure',
      'running 200_0',
      'done 200_0 0',
    ]);
    expect(slurm.sbatchCalls()).toBe(2);
  }, 30_000);

  it('reports a task killed by a signal that was never requeued as failed, without resubmitting it', async () => {
    const slurm = scriptedSlurm(root, 'killed', {
      sbatch: ['100'],
      squeue: { '100': [['100_0|RUNNING|0|None'], ['100_0|FAILED|0|None']] },
      sacct: ['100_0|FAILED|0:15'],
    });
    const events = await slurm.run();
    expect(summary(events)).toEqual(['submitted 100_0', 'running 100_0', 'failed 100_0 signal 143']);
    expect(slurm.sbatchCalls()).toBe(1);
  });

  it('gives up after two resubmissions of a trial that keeps being interrupted', async () => {
    const slurm = scriptedSlurm(root, 'bounded', {
      sbatch: ['100', '200', '300', '400'],
      squeue: {
        '100': [['100_0|RUNNING|0|None'], ['100_0|PENDING|1|BeginTime'], ['100_0|FAILED|1|None']],
        '200': [['200_0|RUNNING|0|None'], ['200_0|FAILED|0|None']],
        '300': [['300_0|RUNNING|0|None'], ['300_0|FAILED|0|None']],
      },
      sacct: ['100_0|FAILED|0:15', '200_0|FAILED|0:15', '300_0|FAILED|0:15'],
    });
    const events = await slurm.run();
    expect(events.at(-1)).toMatchObject({ state: 'failed', handle: '300_0', exitCode: 143, reason: 'signal' });
    expect(events.filter((event) => event.requeued)).toHaveLength(3);
    expect(slurm.sbatchCalls()).toBe(3);
  }, 30_000);
});
