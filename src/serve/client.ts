/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard in the browser (served as /assets/client.js, an ES module). It fetches the API
 * of api.ts and builds the page with DOM calls only: every string from a log goes through
 * textContent or a text node, never innerHTML; plots arrive as server-rendered SVG and are shown
 * as <img> (an image cannot run script or load anything).
 *
 * Views by location hash: #/ (studies and runs), #/studies/ID, #/runs/ID, #/compare/A/B.
 * Server-sent events (`studies`, `runs`) refresh the list and the open study while a runner works.
 */
import {
  apiPath,
  type ApiError,
  type CompareResponse,
  type FindingSummary,
  type LayerRow,
  type Plot,
  type RunResponse,
  type RunSummary,
  type RunsResponse,
  type StudiesResponse,
  type StudyResponse,
  type StudySummary,
  type VerdictLayer,
} from './api.js';

type Child = Node | string | number | null | undefined | false;

/** An element with text children; attributes are fixed names set by this file, never from data. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return node;
}

function link(hash: string, text: string, attributes: Record<string, string> = {}): HTMLAnchorElement {
  const a = el('a', attributes, text);
  a.href = hash;
  return a;
}

function table(head: string[], rows: Child[][], attributes: Record<string, string> = {}): HTMLTableElement {
  const t = el('table', attributes, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))));
  const body = el('tbody');
  for (const row of rows) body.append(el('tr', {}, ...row.map((cell) => el('td', {}, cell))));
  t.append(body);
  return t;
}

function mono(text: string): HTMLSpanElement {
  return el('span', { class: 'mono' }, text);
}

const app = document.getElementById('app')!;
const live = document.getElementById('live')!;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { credentials: 'same-origin' });
  const body = (await response.json()) as T | ApiError;
  if (!response.ok) throw new HttpError(response.status, (body as ApiError).error?.message ?? response.statusText);
  return body as T;
}

function show(...nodes: Node[]): void {
  app.replaceChildren(...nodes);
}

function verdictBox(verdict: { layer: VerdictLayer; summary: string; next?: string[] } | null): HTMLElement {
  if (!verdict) return el('div', { class: 'verdict unknown', 'data-testid': 'verdict' }, el('b', {}, 'Verdict: not diagnosed yet'));
  const box = el('div', { class: `verdict ${verdict.layer === 'none' ? 'none' : ''}`, 'data-testid': 'verdict' }, el('b', {}, `Verdict: ${verdict.layer}`), ` — ${verdict.summary}`);
  for (const next of verdict.next ?? []) box.append(el('br'), el('b', {}, 'Next: '), next);
  return box;
}

function layersTable(layers: LayerRow[]): HTMLElement {
  return table(
    ['layer', 'status', 'findings', 'what would decide it'],
    layers.map((l) => [l.layer, el('span', { class: l.status }, l.status), mono(l.findings.join(', ')), l.experiment ?? '']),
    { class: 'layers' },
  );
}

function findingsList(findings: FindingSummary[]): HTMLElement {
  if (findings.length === 0) return el('p', { class: 'muted' }, 'No findings.');
  const list = el('div', { 'data-testid': 'findings' });
  for (const f of findings) {
    list.append(
      el(
        'div',
        { class: `finding ${f.severity}` },
        el('div', {}, el('span', { class: 'sev' }, f.severity), mono(f.code), ' ', el('span', { class: 'muted' }, f.layer)),
        el('p', {}, f.summary),
        f.next ? el('p', {}, el('b', {}, 'Next: '), f.next) : null,
      ),
    );
  }
  return list;
}

function plotFigure(plot: Plot): HTMLElement {
  const img = el('img', { 'data-testid': 'plot' });
  img.alt = plot.title;
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(plot.svg)}`;
  return el('figure', {}, el('figcaption', {}, plot.title), img);
}

function keyValues(entries: Record<string, string>, head: [string, string], testId: string): HTMLElement {
  const rows = Object.entries(entries).map(([k, v]) => [mono(k), mono(v)]);
  return rows.length > 0 ? table(head, rows, { 'data-testid': testId }) : el('p', { class: 'muted' }, `no ${head[0]}s`);
}

function sourceText(run: RunSummary): string {
  return run.source.kind === 'study' ? `study ${run.source.study}, trial ${run.source.trial}` : `folder ${run.source.root}`;
}

// Views

function studiesSection(studies: StudySummary[]): HTMLElement {
  const rows = studies.map((s) => [
    link(`#/studies/${encodeURIComponent(s.id)}`, s.name),
    s.state,
    el('span', { 'data-testid': 'trial-count', 'data-study': s.id }, `${s.trials.done}/${s.trials.total}`),
    s.trials.running,
    s.trials.failed,
    s.verdict ?? '–',
    mono(s.dir),
  ]);
  return el(
    'section',
    { id: 'studies' },
    el('h2', {}, `Studies (${studies.length})`),
    studies.length > 0 ? table(['study', 'state', 'done', 'running', 'failed', 'verdict', 'folder'], rows, { 'data-testid': 'studies' }) : el('p', { class: 'muted' }, 'No studies in the store.'),
  );
}

const selected = new Set<string>();

function runsSection(runs: RunSummary[]): HTMLElement {
  const compare = el('button', { type: 'button', 'data-testid': 'compare' }, 'compare the two selected runs');
  const update = () => {
    compare.disabled = selected.size !== 2;
  };
  compare.addEventListener('click', () => {
    const [a, b] = [...selected];
    if (a && b) location.hash = `#/compare/${encodeURIComponent(a)}/${encodeURIComponent(b)}`;
  });
  const known = new Set(runs.map((r) => r.id));
  for (const id of [...selected]) if (!known.has(id)) selected.delete(id);
  const rows = runs.map((run) => {
    const box = el('input', { type: 'checkbox', 'data-run': run.id });
    box.checked = selected.has(run.id);
    box.addEventListener('change', () => {
      if (box.checked) selected.add(run.id);
      else selected.delete(run.id);
      update();
    });
    return [box, link(`#/runs/${encodeURIComponent(run.id)}`, run.name, { class: 'mono', 'data-run-link': run.id }), run.verdict ?? (run.error ? 'unreadable' : '–'), run.format, sourceText(run)];
  });
  update();
  return el(
    'section',
    { id: 'runs' },
    el('h2', {}, `Runs (${runs.length})`),
    runs.length > 0 ? el('div', {}, compare, table(['', 'run', 'verdict', 'format', 'from'], rows, { 'data-testid': 'runs' })) : el('p', { class: 'muted' }, 'No runs yet.'),
  );
}

async function homeView(): Promise<void> {
  const [studies, runs] = await Promise.all([getJson<StudiesResponse>(apiPath.studies()), getJson<RunsResponse>(apiPath.runs())]);
  show(studiesSection(studies.studies), runsSection(runs.runs));
}

async function studyView(id: string): Promise<void> {
  const data = await getJson<StudyResponse>(apiPath.study(id));
  const s = data.study;
  const trials = table(
    ['trial', 'state', 'parameters', 'attempts', 'exit'],
    data.trials.map((t) => [mono(t.id), t.state, mono(Object.entries(t.params).map(([k, v]) => `${k}=${v}`).join(', ')), t.attempts, t.exitCode ?? '']),
    { 'data-testid': 'trials' },
  );
  show(
    el('h2', {}, 'Study ', mono(s.name)),
    el('p', { class: 'muted' }, `${s.state}, executor ${s.executor}, folder `, mono(s.dir)),
    el('p', {}, 'Trials done: ', el('b', { 'data-testid': 'trial-count', 'data-study': s.id }, `${s.trials.done}/${s.trials.total}`), ` (running ${s.trials.running}, failed ${s.trials.failed})`),
    verdictBox(data.verdict),
    data.layers.length > 0 ? layersTable(data.layers) : el('span'),
    el('h2', {}, 'Findings'),
    findingsList(data.findings),
    ...data.plots.map(plotFigure),
    el('h2', {}, `Runs (${data.runs.length})`),
    table(['run', 'format'], data.runs.map((r) => [link(`#/runs/${encodeURIComponent(r.id)}`, r.name, { class: 'mono' }), r.format])),
    el('h2', {}, `Trials (${data.trials.length})`),
    trials,
  );
}

async function runView(id: string): Promise<void> {
  show(el('p', { class: 'muted' }, 'Diagnosing…'));
  const data = await getJson<RunResponse>(apiPath.run(id));
  show(
    el('h2', {}, 'Run ', mono(data.run.name)),
    el('p', { class: 'muted' }, `${data.run.format}, ${sourceText(data.run)}`),
    verdictBox(data.verdict),
    layersTable(data.layers),
    el('h2', {}, 'Findings'),
    findingsList(data.findings),
    el('h2', {}, 'Plots'),
    ...data.plots.map(plotFigure),
    el('h2', {}, 'Hyperparameters'),
    keyValues(data.hparams, ['hyperparameter', 'value'], 'hparams'),
    el('h2', {}, 'Tags'),
    keyValues(data.tags, ['tag', 'value'], 'tags'),
    el('h2', {}, 'Series'),
    table(['series', 'points', 'last value'], data.series.map((s) => [mono(s.name), s.points, s.last ?? '–'])),
  );
}

async function compareView(a: string, b: string): Promise<void> {
  show(el('p', { class: 'muted' }, 'Diagnosing…'));
  const data = await getJson<CompareResponse>(apiPath.compare(a, b));
  const side = (label: string, s: CompareResponse['a']) =>
    el('div', { 'data-testid': `side-${label}` }, el('h3', {}, `${label}: `, link(`#/runs/${encodeURIComponent(s.run.id)}`, s.run.name, { class: 'mono' })), verdictBox(s.verdict), layersTable(s.layers));
  show(
    el('h2', {}, 'Compare two runs'),
    el('div', { class: 'columns' }, side('A', data.a), side('B', data.b)),
    el('h2', {}, `Hyperparameters that differ (${data.differing.length}; ${data.same} the same)`),
    data.differing.length > 0
      ? table(['hyperparameter', 'A', 'B'], data.differing.map((d) => [mono(d.key), mono(d.a ?? '(absent)'), mono(d.b ?? '(absent)')]), { 'data-testid': 'differing' })
      : el('p', { class: 'muted' }, 'None: both runs have the same hyperparameters.'),
    el('h2', {}, 'Shared series (last value)'),
    table(['series', 'A', 'B'], data.series.map((s) => [mono(s.name), s.a ?? '–', s.b ?? '–'])),
    ...data.plots.map(plotFigure),
  );
}

// Routing and live updates

type Route = { view: 'home' } | { view: 'study'; id: string } | { view: 'run'; id: string } | { view: 'compare'; a: string; b: string };

function route(): Route {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts[0] === 'studies' && parts[1]) return { view: 'study', id: parts[1] };
  if (parts[0] === 'runs' && parts[1]) return { view: 'run', id: parts[1] };
  if (parts[0] === 'compare' && parts[1] && parts[2]) return { view: 'compare', a: parts[1], b: parts[2] };
  return { view: 'home' };
}

let current: Route = route();

async function render(): Promise<void> {
  current = route();
  try {
    if (current.view === 'home') await homeView();
    else if (current.view === 'study') await studyView(current.id);
    else if (current.view === 'run') await runView(current.id);
    else await compareView(current.a, current.b);
    document.body.dataset.ready = current.view;
  } catch (error) {
    show(el('h2', {}, 'Could not load this view'), el('p', { 'data-testid': 'error' }, (error as Error).message), link('#/', 'back to the list'));
    document.body.dataset.ready = 'error';
  }
}

function listen(): void {
  const source = new EventSource(apiPath.events());
  source.addEventListener('open', () => {
    live.textContent = 'live';
  });
  source.addEventListener('error', () => {
    live.textContent = 'reconnecting…';
  });
  source.addEventListener('studies', (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as StudiesResponse;
    if (current.view === 'home') document.getElementById('studies')?.replaceWith(studiesSection(data.studies));
    else if (current.view === 'study') void studyView(current.id).catch(() => {});
  });
  source.addEventListener('runs', (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as RunsResponse;
    if (current.view === 'home') document.getElementById('runs')?.replaceWith(runsSection(data.runs));
  });
}

window.addEventListener('hashchange', () => void render());
void render();
listen();
