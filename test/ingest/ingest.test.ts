/**
 * The ingest pipeline itself (walk, claim, central series checks, ladder.yaml), with a
 * minimal reader defined here so that these tests do not depend on any real format.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commonRoot, ingest } from '../../src/ingest/ingest.js';
import { emptyRun, SeriesBuilder } from '../../src/model/run.js';
import type { Reader } from '../../src/ingest/reader.js';
import { readFile, rm } from 'node:fs/promises';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ladder-ingest-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** Reads `*.pts` files: one "step value" pair per line. */
const pointsReader: Reader = {
  format: 'csv',
  description: 'test reader',
  async claim(pool) {
    return pool.files().filter((f) => f.name.endsWith('.pts')).map((f) => ({ format: 'csv' as const, dir: f.dir, files: [f] }));
  },
  async read(claim, ctx) {
    const file = claim.files[0]!;
    const run = emptyRun(ctx.runId(file.dir, file.name), 'csv', [file.rel]);
    const builder = new SeriesBuilder();
    for (const line of (await readFile(file.path, 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      const [step, value] = line.split(' ');
      builder.push(Number(step), Number(value));
    }
    run.series.loss = builder.build();
    return [run];
  },
};

function dir(name: string): string {
  const d = path.join(tmp, name);
  mkdirSync(d, { recursive: true });
  return d;
}

describe('ingest pipeline', () => {
  it('keeps both segments of a restarted run and reports the restart, duplicates and non-finite values', async () => {
    const d = dir('restart');
    writeFileSync(path.join(d, 'a.pts'), '0 2.0\n10 1.5\n20 NaN\n30 1.0\n20 1.1\n30 0.9\n30 0.8\n40 Infinity\n50 0.5\n50 0.5\n');
    const result = await ingest([d], { readers: [pointsReader] });
    expect(result.runs).toHaveLength(1);
    const run = result.runs[0]!;
    expect(Array.from(run.series.loss!.steps)).toEqual([0, 10, 20, 30, 20, 30, 30, 40, 50, 50]);
    expect(run.segments.loss).toEqual({ restarts: [4] });
    const codes = result.issues.map((i) => i.code).sort();
    expect(codes).toEqual(['series.duplicate-step', 'series.non-finite', 'series.repeated-point', 'series.restart']);
    // the same value logged twice at step 50 is noted, not warned about
    const repeated = result.issues.find((i) => i.code === 'series.repeated-point')!;
    expect(repeated).toMatchObject({ severity: 'info', data: { count: 1, step: 50 } });
    const nonFinite = result.issues.find((i) => i.code === 'series.non-finite')!;
    expect(nonFinite.data).toMatchObject({ count: 2, step: 20 });
    const duplicate = result.issues.find((i) => i.code === 'series.duplicate-step')!;
    expect(duplicate.data).toMatchObject({ count: 1, step: 30 });
    expect(result.issues.find((i) => i.code === 'series.restart')!.severity).toBe('warning');
  });

  it('reports a missing path without throwing', async () => {
    const result = await ingest([path.join(tmp, 'nope')], { readers: [pointsReader] });
    expect(result.runs).toEqual([]);
    expect(result.issues.map((i) => i.code)).toEqual(['file.missing']);
    expect(result.issues[0]!.severity).toBe('error');
  });

  it('survives a symbolic-link loop and reports it once', async () => {
    const d = dir('loop/inner');
    writeFileSync(path.join(d, 'x.pts'), '0 1\n');
    symlinkSync('..', path.join(d, 'back'));
    const result = await ingest([path.join(tmp, 'loop')], { readers: [pointsReader] });
    expect(result.runs).toHaveLength(1);
    expect(result.issues.filter((i) => i.code === 'file.symlink-loop')).toHaveLength(1);
  });

  it('reports a self-referencing link', async () => {
    const d = dir('selflink');
    symlinkSync(path.join(d, 'me'), path.join(d, 'me'));
    const result = await ingest([d], { readers: [pointsReader] });
    expect(result.issues.map((i) => i.code)).toEqual(['file.symlink-loop']);
  });

  it('walks a folder of 10,000 small files and summarizes unrecognized ones in one issue per folder', async () => {
    const d = dir('many');
    for (let i = 0; i < 10_000; i++) writeFileSync(path.join(d, `f${i}.log`), `line ${i}\n`);
    writeFileSync(path.join(d, 'run.pts'), '0 1\n1 0.5\n');
    const started = performance.now();
    const result = await ingest([d], { readers: [pointsReader] });
    const seconds = (performance.now() - started) / 1000;
    expect(result.runs).toHaveLength(1);
    const unrecognized = result.issues.filter((i) => i.code === 'file.unrecognized');
    expect(unrecognized).toHaveLength(1);
    expect(unrecognized[0]!.data).toMatchObject({ count: 10_000 });
    console.log(`10,000-file folder walked in ${seconds.toFixed(2)} s`);
  });

  it('reports empty files that no reader claimed as empty', async () => {
    const d = dir('empty');
    writeFileSync(path.join(d, 'nothing.txt'), '');
    const result = await ingest([d], { readers: [pointsReader] });
    expect(result.issues.map((i) => i.code)).toEqual(['file.empty']);
  });

  it('applies role overrides from the nearest ladder.yaml and reports invalid ones', async () => {
    const d = dir('config/sub');
    writeFileSync(path.join(tmp, 'config', 'ladder.yaml'), 'roles:\n  valLoss: nope\n');
    writeFileSync(path.join(d, 'ladder.yaml'), 'roles:\n  trainLoss: loss\n  valMetrics: [loss]\n');
    writeFileSync(path.join(d, 'a.pts'), '0 1\n');
    const result = await ingest([path.join(tmp, 'config')], { readers: [pointsReader] });
    expect(result.runs[0]!.roles).toMatchObject({ trainLoss: 'loss', valMetrics: ['loss'] });
    expect(result.issues).toEqual([]);

    writeFileSync(path.join(d, 'ladder.yaml'), 'roles:\n  trainLos: loss\n');
    const bad = await ingest([path.join(tmp, 'config')], { readers: [pointsReader] });
    expect(bad.issues.map((i) => i.code)).toEqual(['config.invalid', 'config.unknown-series']);
  });

  it('takes hyperparameters from a config file beside the run, the run\'s own values first', async () => {
    const d = dir('sidecar');
    writeFileSync(path.join(d, 'a.pts'), '0 1\n1 0.5\n');
    writeFileSync(path.join(d, 'config.json'), '{"classes": 10, "lr": NaN, "nested": {"a": 1}}');
    writeFileSync(path.join(d, 'args.yaml'), 'seed: 3\nbad: !!python/object:x.Y {}\n');
    const result = await ingest([d], { readers: [pointsReader] });
    const run = result.runs[0]!;
    expect(run.hparams).toMatchObject({ classes: 10, nested: { a: 1 }, seed: 3, bad: { $opaque: '!!python/object:x.Y' } });
    expect(Number.isNaN(run.hparams.lr as number)).toBe(true);
    expect(run.paths).toEqual(['a.pts', 'args.yaml', 'config.json']);
    expect(result.issues.map((i) => i.code).sort()).toEqual(['json.non-standard-number', 'yaml.python-tag']);

    // A config file in a folder without a run is not taken; a broken one is reported.
    writeFileSync(path.join(d, 'config.json'), '{"classes": ');
    const broken = await ingest([d], { readers: [pointsReader] });
    expect(broken.issues.map((i) => i.code)).toContain('json.truncated');
    const lone = dir('lone-config');
    writeFileSync(path.join(lone, 'config.json'), '{"classes": 3}');
    expect((await ingest([lone], { readers: [pointsReader] })).issues.map((i) => i.code)).toEqual(['file.unrecognized']);
  });

  it('makes run ids unique', async () => {
    const d = dir('ids');
    writeFileSync(path.join(d, 'a.pts'), '0 1\n');
    const reader: Reader = {
      ...pointsReader,
      async read(claim, ctx) {
        const file = claim.files[0]!;
        return [emptyRun(ctx.runId(file.dir), 'csv', [file.rel]), emptyRun(ctx.runId(file.dir), 'csv', [file.rel])];
      },
    };
    const result = await ingest([d], { readers: [reader] });
    expect(result.runs.map((r) => r.id)).toEqual(['ids', 'ids~2']);
  });
});

describe('commonRoot', () => {
  it('finds the deepest shared folder', () => {
    expect(commonRoot(['/a/b/c', '/a/b/d/e'])).toBe('/a/b');
    expect(commonRoot(['/a/b/c'])).toBe('/a/b/c');
    expect(commonRoot(['/x', '/y'])).toBe('/');
  });
});
