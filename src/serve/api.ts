/**
 * The dashboard's API (`ladder serve`): every request and response the server (server.ts,
 * catalog.ts) and the browser code (client.ts) exchange, typed once here. This module is loaded
 * by the browser too, so it holds only types and a few pure helpers — no Node, no DOM.
 *
 *   GET /api/studies            → StudiesResponse
 *   GET /api/studies/:id        → StudyResponse
 *   GET /api/runs               → RunsResponse
 *   GET /api/runs/:id           → RunResponse   (diagnosed on first request, then cached)
 *   GET /api/compare?a=ID&b=ID  → CompareResponse
 *   GET /api/events             → server-sent events: `studies` (StudiesResponse), `runs` (RunsResponse)
 *   any error                   → ApiError with its HTTP status
 */

export const API_SCHEMA = 'ladder.serve/v1';

export type TrialState = 'pending' | 'submitted' | 'running' | 'done' | 'failed' | 'cancelled';
export type LayerName = 'observation' | 'reachability' | 'instantiation' | 'perception';
export type VerdictLayer = LayerName | 'none';
export type LayerStatus = 'pass' | 'fail' | 'inconclusive' | 'gated';

export interface TrialCounts {
  total: number;
  pending: number;
  submitted: number;
  running: number;
  done: number;
  failed: number;
  cancelled: number;
}

export interface StudySummary {
  id: string;
  name: string;
  dir: string;
  state: 'running' | 'finished' | 'cancelled';
  executor: string;
  trials: TrialCounts;
  verdict: VerdictLayer | null;
  updatedAt: string;
}

export interface StudiesResponse {
  schema: typeof API_SCHEMA;
  studies: StudySummary[];
}

export interface FindingSummary {
  code: string;
  layer: string;
  severity: 'error' | 'warning' | 'info';
  summary: string;
  next?: string;
  runs?: string[];
}

export interface LayerRow {
  layer: LayerName;
  status: LayerStatus;
  findings: string[];
  /** What would decide an inconclusive or gated layer. */
  experiment?: string;
}

export interface TrialSummary {
  id: string;
  index: number;
  state: TrialState;
  params: Record<string, string>;
  attempts: number;
  exitCode: number | null;
  reason: string | null;
}

export interface Plot {
  title: string;
  /** An SVG document rendered on the server (src/report/plots.ts), its text escaped; shown as an image. */
  svg: string;
}

export interface StudyResponse {
  schema: typeof API_SCHEMA;
  study: StudySummary;
  verdict: { layer: VerdictLayer; summary: string; next: string[] } | null;
  layers: LayerRow[];
  findings: FindingSummary[];
  trials: TrialSummary[];
  /** Runs the study's diagnosis read (RunSummary ids, for /api/runs/:id). */
  runs: RunSummary[];
  plots: Plot[];
}

export interface RunSummary {
  /** Opaque, URL-safe id (a hash of where the run comes from). */
  id: string;
  /** The run's name as its log names it. */
  name: string;
  source: { kind: 'study'; study: string; trial: string } | { kind: 'dir'; root: string };
  format: string;
  /** The run's verdict once it was diagnosed (null until then). */
  verdict: VerdictLayer | null;
  /** Why it could not be diagnosed, when it could not. */
  error?: string;
}

export interface RunsResponse {
  schema: typeof API_SCHEMA;
  runs: RunSummary[];
}

export interface RunResponse {
  schema: typeof API_SCHEMA;
  run: RunSummary;
  paths: string[];
  hparams: Record<string, string>;
  tags: Record<string, string>;
  series: { name: string; points: number; last: number | null }[];
  verdict: { layer: VerdictLayer; summary: string; next: string[] };
  layers: LayerRow[];
  findings: FindingSummary[];
  plots: Plot[];
  /** The ladder.diagnosis/v1 document. */
  diagnosis: unknown;
}

export interface CompareSide {
  run: RunSummary;
  verdict: { layer: VerdictLayer; summary: string };
  layers: LayerRow[];
}

export interface CompareResponse {
  schema: typeof API_SCHEMA;
  a: CompareSide;
  b: CompareSide;
  /** Only the hyperparameters whose values differ (null: the run does not have the key). */
  differing: { key: string; a: string | null; b: string | null }[];
  /** How many hyperparameters both runs have with the same value. */
  same: number;
  /** Last value of each series both runs logged. */
  series: { name: string; a: number | null; b: number | null }[];
  /** Each shared loss or metric series of both runs in one plot. */
  plots: Plot[];
}

export interface ApiError {
  schema: typeof API_SCHEMA;
  error: { status: number; code: string; message: string };
}

export type EventName = 'studies' | 'runs';

/** Paths of the API, built in one place for the server's router and the browser. */
export const apiPath = {
  studies: () => '/api/studies',
  study: (id: string) => `/api/studies/${encodeURIComponent(id)}`,
  runs: () => '/api/runs',
  run: (id: string) => `/api/runs/${encodeURIComponent(id)}`,
  compare: (a: string, b: string) => `/api/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`,
  events: () => '/api/events',
};

/** Ids the API accepts: letters, digits, `.`, `_`, `-`; never `..`, a slash or an absolute path. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function isSafeId(id: string): boolean {
  return SAFE_ID.test(id) && !id.includes('..');
}
