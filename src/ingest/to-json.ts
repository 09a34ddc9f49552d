/**
 * The `ladder.ingest/v1` JSON contract. JSON has no NaN or Infinity, so non-finite values
 * are written as the strings "NaN", "Infinity" and "-Infinity"; unknown wall times as null.
 * Nothing is dropped.
 */
import type { HValue, Run, Series } from '../model/run.js';
import type { IngestResult } from './ingest.js';
import type { IngestIssue } from './issues.js';

export const INGEST_SCHEMA = 'ladder.ingest/v1';

export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export function jsonNumber(x: number): JsonNumber {
  if (Number.isFinite(x)) return x;
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? 'Infinity' : '-Infinity';
}

export interface SeriesJson {
  steps: JsonNumber[];
  values: JsonNumber[];
  wallTimes: (number | null)[];
  restarts?: number[];
}

export function seriesToJson(series: Series): SeriesJson {
  const n = series.steps.length;
  const steps = new Array<JsonNumber>(n);
  const values = new Array<JsonNumber>(n);
  const wallTimes = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    steps[i] = jsonNumber(series.steps[i]!);
    values[i] = jsonNumber(series.values[i]!);
    const w = series.wallTimes[i]!;
    wallTimes[i] = Number.isFinite(w) ? w : null;
  }
  return { steps, values, wallTimes };
}

function hvalueToJson(value: HValue): unknown {
  if (typeof value === 'number') return jsonNumber(value);
  if (Array.isArray(value)) return value.map(hvalueToJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hvalueToJson(v as HValue)]));
  }
  return value;
}

export function runToJson(run: Run) {
  const series: Record<string, SeriesJson> = {};
  for (const [name, s] of Object.entries(run.series)) {
    const json = seriesToJson(s);
    const restarts = run.segments[name]?.restarts;
    if (restarts && restarts.length > 0) json.restarts = restarts;
    series[name] = json;
  }
  const count = run.examples.reduce((sum, set) => sum + set.count, 0);
  return {
    id: run.id,
    format: run.format,
    paths: run.paths,
    ...(run.parent ? { parent: run.parent } : {}),
    hparams: hvalueToJson(run.hparams),
    tags: run.tags,
    roles: run.roles,
    summary: hvalueToJson(run.summary),
    series,
    nonScalar: run.nonScalar,
    examples: {
      count,
      sets: run.examples.map((set) => ({
        name: set.name,
        count: set.count,
        fields: [
          set.ids && 'id',
          set.labels && 'label',
          set.preds && 'pred',
          set.correct && 'correct',
          set.probs && 'probs',
          set.clusters && 'cluster',
          ...Object.keys(set.metrics ?? {}),
        ].filter(Boolean),
        ...(set.probs ? { classes: set.probs.classes } : {}),
      })),
    },
  };
}

export function ingestToJson(result: IngestResult) {
  return {
    schema: INGEST_SCHEMA,
    runs: result.runs.map(runToJson),
    issues: result.issues.map((issue: IngestIssue) => {
      const { data: _data, ...rest } = issue;
      return rest;
    }),
  };
}
