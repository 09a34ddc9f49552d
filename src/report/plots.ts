/**
 * Figures (figures.ts) drawn with Observable Plot: one function per figure kind, figure data and a
 * DOM document in, an SVG string out. Nothing here touches files, Node or the clock, so the
 * dashboard can call the same functions in a browser with `window.document`; the report passes
 * a server-side document (server-document.ts).
 *
 * Text in figures (series names, arm labels, finding labels) can come from a hostile log; it only
 * ever reaches the SVG as text content (Plot's text and title marks), which the DOM serializer
 * escapes — never as markup or as a URL.
 */
import * as Plot from '@observablehq/plot';
import type {
  ArmsFigure,
  ComparisonFigure,
  CurvesFigure,
  EffectsFigure,
  Figure,
  ProbesFigure,
  SweepFigure,
  WaterfallFigure,
} from './figures.js';

/** The DOM document Plot renders into (a browser's, or linkedom's on the server). */
export type PlotDocument = NonNullable<Plot.PlotOptions['document']>;

interface RenderedElement {
  outerHTML: string;
  setAttribute(name: string, value: string): void;
}

export const PLOT_WIDTH = 760;
const HEIGHT = 250;
const FONT = 'DejaVu Sans, system-ui, sans-serif';
/** Line colours in order (Tableau 10), so training and validation loss keep their colours everywhere. */
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac', '#e15759'];
const SEVERITY_COLOR = { error: '#d62728', warning: '#e08a00', info: '#7f7f7f' } as const;
const UNKNOWN_COLOR = '#bbbbbb';

/** Long labels are cut, so one hostile or verbose name cannot push a plot off its page. */
export function shorten(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Coordinates rounded to 0.1 px inside path data and transforms: an SVG of long curves stays small. */
function compact(svg: string): string {
  const round = (body: string) => body.replace(/(-?\d+\.\d)\d+/g, '$1');
  return svg.replace(/ (d|transform|points)="([^"]*)"/g, (_, name: string, body: string) => ` ${name}="${round(body)}"`);
}

function render(options: Plot.PlotOptions, document: PlotDocument): string {
  const element = Plot.plot({
    width: PLOT_WIDTH,
    height: HEIGHT,
    style: { background: 'white', color: '#222', fontFamily: FONT, fontSize: '11px', overflow: 'visible' },
    ...options,
    document,
  }) as unknown as RenderedElement;
  element.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  return compact(element.outerHTML);
}

/** Several plots one above the other in one SVG (for the comparison's two panels). */
function stack(parts: { svg: string; height: number }[]): string {
  const total = parts.reduce((sum, part) => sum + part.height, 0);
  let y = 0;
  const inner = parts
    .map((part) => {
      const placed = part.svg.replace(/^<svg /, `<svg x="0" y="${y}" `);
      y += part.height;
      return placed;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${PLOT_WIDTH}" height="${total}" viewBox="0 0 ${PLOT_WIDTH} ${total}">${inner}</svg>`;
}

/** A legend in the top margin, two entries per row (labels at the lines' ends collide and get cut). */
function legend(names: string[], colorOf: (name: string) => string): { marks: Plot.Markish[]; height: number } {
  const rows = Math.ceil(names.length / 2);
  const marks = names.map((name, i) =>
    Plot.text([name], { frameAnchor: 'top-left', text: () => `━ ${shorten(name, 45)}`, fill: colorOf(name), dx: 330 * (i % 2), dy: -14 * (rows - Math.floor(i / 2)), textAnchor: 'start', fontWeight: 'bold' }),
  );
  return { marks, height: 10 + 14 * rows };
}

function curvesPlot(figure: CurvesFigure, document: PlotDocument): string {
  const marks: Plot.Markish[] = [];
  const colorOf = new Map(figure.lines.map((line, i) => [line.name, PALETTE[i % PALETTE.length]!]));
  const tailValues = figure.tail ? figure.tail.points.flatMap((p) => [p.low, p.high]) : [];
  const logY = figure.logY && tailValues.every((v) => v > 0);
  let maxStep = Number.NEGATIVE_INFINITY;
  let minStep = Number.POSITIVE_INFINITY;
  for (const line of figure.lines) {
    if (line.steps.length === 0) continue;
    minStep = Math.min(minStep, line.steps[0]!);
    maxStep = Math.max(maxStep, line.steps.at(-1)!);
  }
  if (figure.tail) maxStep = Math.max(maxStep, figure.tail.points.at(-1)!.step);
  // Where a curve went NaN or infinite is part of the run: the x axis covers it.
  for (const step of [...figure.nonFinite.flatMap((s) => [s.from, s.to]), ...figure.marks.map((m) => m.step)]) {
    minStep = Math.min(minStep, step);
    maxStep = Math.max(maxStep, step);
  }
  const key = figure.lines.length > 1 ? legend(figure.lines.map((l) => l.name), (name) => colorOf.get(name)!) : { marks: [], height: 8 };
  marks.push(...key.marks);
  for (const line of figure.lines) {
    const points = line.steps.map((step, j) => ({ step, value: line.values[j]! }));
    // A validation curve has few points: dots make each evaluation visible.
    marks.push(Plot.line(points, { x: 'step', y: 'value', stroke: colorOf.get(line.name)!, strokeWidth: 1.3 }));
    if (points.length <= 60) marks.push(Plot.dot(points, { x: 'step', y: 'value', fill: colorOf.get(line.name)!, r: 1.8 }));
  }
  if (figure.tail) {
    const tail = figure.tail;
    const color = colorOf.get(tail.series) ?? PALETTE[0]!;
    marks.push(Plot.areaY(tail.points, { x: 'step', y1: 'low', y2: 'high', fill: color, fillOpacity: 0.18 }));
    marks.push(Plot.line(tail.points, { x: 'step', y: 'estimate', stroke: color, strokeDasharray: '5,3' }));
    marks.push(Plot.ruleX(tail.points.slice(1), { x: 'step', y1: 'low', y2: 'high', stroke: color, strokeWidth: 2 }));
    marks.push(Plot.dot(tail.points.slice(1), { x: 'step', y: 'estimate', fill: color, r: 3 }));
    marks.push(
      Plot.text(tail.points.slice(1), {
        x: 'step',
        y: 'high',
        text: (_: unknown, i: number) => `${i === 0 ? '2×' : '4×'} steps: ${tail.points[i + 1]!.estimate.toPrecision(4)}`,
        dy: -10,
        dx: -4,
        textAnchor: 'end',
        fill: '#333',
      }),
    );
    if (tail.floor !== null && (!logY || tail.floor > 0)) {
      marks.push(Plot.ruleY([tail.floor], { stroke: '#999', strokeDasharray: '2,3' }));
      marks.push(Plot.text([tail.floor], { y: (d: number) => d, x: minStep, text: () => `fitted floor ${tail.floor!.toPrecision(4)} (${tail.model})`, textAnchor: 'start', dy: -6, fill: '#666' }));
    }
  }
  if (figure.nonFinite.length > 0) {
    marks.push(Plot.rectX(figure.nonFinite.filter((s) => s.to > s.from), { x1: 'from', x2: 'to', fill: SEVERITY_COLOR.error, fillOpacity: 0.08 }));
    marks.push(Plot.ruleX(figure.nonFinite, { x: 'from', stroke: SEVERITY_COLOR.error, strokeOpacity: 0.6, strokeDasharray: '3,3' }));
    const first = figure.nonFinite.reduce((a, b) => (b.from < a.from ? b : a));
    const count = figure.nonFinite.reduce((n, s) => n + s.points, 0);
    marks.push(
      Plot.text([first], { x: 'from', frameAnchor: 'bottom', text: () => `not finite (${first.value} first) from step ${first.from}: ${count} point(s)`, dy: -6, dx: 4, textAnchor: 'start', fill: SEVERITY_COLOR.error, lineAnchor: 'bottom' }),
    );
  }
  const placed = figure.marks.filter((m) => m.value !== null && (!logY || m.value > 0));
  const unplaced = figure.marks.filter((m) => !placed.includes(m));
  if (figure.marks.length > 0) {
    marks.push(Plot.ruleX(figure.marks, { x: 'step', stroke: (m: (typeof figure.marks)[number]) => SEVERITY_COLOR[m.severity], strokeOpacity: 0.25 }));
  }
  if (placed.length > 0) {
    marks.push(
      Plot.dot(placed, { x: 'step', y: 'value', stroke: (m: (typeof placed)[number]) => SEVERITY_COLOR[m.severity], r: 5, strokeWidth: 2, fill: 'white', fillOpacity: 0.6 }),
    );
  }
  // One label per distinct text, at its first occurrence, hung from the top of the frame and
  // staggered so labels do not overlap (a falling loss leaves the top right free).
  const labelled = [...new Map(figure.marks.map((m) => [m.label, m])).values()].slice(0, 6);
  const middle = Number.isFinite(minStep) ? (minStep + maxStep) / 2 : 0;
  labelled.forEach((mark, i) => {
    const right = mark.step > middle;
    marks.push(
      Plot.text([mark], {
        x: 'step',
        frameAnchor: 'top',
        lineAnchor: 'top',
        text: () => shorten(`${mark.label} (${mark.code})`, 70),
        dx: right ? -5 : 5,
        dy: 5 + 13 * i,
        textAnchor: right ? 'end' : 'start',
        fill: SEVERITY_COLOR[mark.severity],
      }),
    );
  });
  if (unplaced.length > 0 && placed.length === 0 && figure.nonFinite.length === 0) {
    marks.push(Plot.tickX(unplaced, { x: 'step', stroke: (m: (typeof unplaced)[number]) => SEVERITY_COLOR[m.severity], strokeWidth: 2 }));
  }
  marks.push(Plot.frame({ stroke: '#ddd' }));
  const domain: [number, number] | undefined = Number.isFinite(minStep) && maxStep > minStep ? [minStep, maxStep] : undefined;
  return render(
    {
      marginLeft: 60,
      marginRight: 20,
      marginTop: 10 + key.height,
      x: { label: 'step', ...(domain ? { domain } : {}), tickFormat: '~s' },
      y: { label: shorten(figure.yLabel, 40), grid: true, type: logY ? 'log' : 'linear', ...(logY ? {} : { nice: true }), tickFormat: logY ? '~g' : '~r' },
      marks,
    },
    document,
  );
}

function waterfallPlot(figure: WaterfallFigure, document: PlotDocument): string {
  let cumulative = 0;
  const rows = figure.terms.map((term) => {
    const label = `${term.layer} (${term.term})`;
    if (term.estimate === null) return { label, known: false as const };
    const start = cumulative;
    cumulative += term.estimate;
    return { label, known: true as const, start, end: cumulative, low: term.low === null ? null : start + term.low, high: term.high === null ? null : start + term.high };
  });
  const known = rows.filter((r) => r.known);
  const unknown = rows.filter((r) => !r.known);
  const values = known.flatMap((r) => [r.start, r.end, r.low ?? r.end, r.high ?? r.end]);
  const domain: [number, number] = values.length > 0 ? [Math.min(0, ...values), Math.max(...values)] : [0, 1];
  const middle = (domain[0] + domain[1]) / 2;
  const marks: Plot.Markish[] = [
    Plot.barX(known, { y: 'label', x1: 'start', x2: 'end', fill: '#4e79a7' }),
    Plot.ruleY(known.filter((r) => r.low !== null && r.high !== null), { y: 'label', x1: 'low', x2: 'high', stroke: '#222', strokeWidth: 1.5 }),
    Plot.text(known, { y: 'label', x: 'end', text: (r: (typeof known)[number]) => (r.end - r.start).toPrecision(3), dx: 6, textAnchor: 'start' }),
    Plot.barX(unknown, { y: 'label', x1: domain[0], x2: domain[1], fill: UNKNOWN_COLOR, fillOpacity: 0.25 }),
    Plot.text(unknown, { y: 'label', x: middle, text: () => 'unknown: not measured by these runs', fill: '#555' }),
  ];
  return render(
    {
      height: 40 + 36 * rows.length,
      marginLeft: 210,
      marginRight: 60,
      x: { domain, label: known.length > 0 ? 'loss' : null, axis: known.length > 0 ? 'bottom' : null },
      y: { domain: rows.map((r) => r.label), label: null },
      marks,
    },
    document,
  );
}

function armsPlot(figure: ArmsFigure, document: PlotDocument): string {
  const labels = figure.arms.map((a) => shorten(a.arm, 40));
  const rows = figure.arms.map((a, i) => ({ ...a, label: labels[i]! }));
  const seeds = rows.flatMap((a) => a.values.map((value) => ({ label: a.label, value })));
  const withInterval = rows.filter((a) => a.low !== null && a.high !== null);
  return render(
    {
      height: 50 + 34 * rows.length,
      marginLeft: 200,
      marginRight: 180,
      x: { label: `${shorten(figure.objective, 40)} (${figure.higherIsBetter ? 'higher' : 'lower'} is better)`, grid: true, nice: true },
      y: { domain: labels, label: null },
      marks: [
        Plot.ruleY(withInterval, { y: 'label', x1: 'low', x2: 'high', stroke: '#4e79a7', strokeWidth: 2 }),
        Plot.dot(seeds, { y: 'label', x: 'value', fill: '#999', r: 2.5, dy: 7 }),
        Plot.dot(rows, { y: 'label', x: 'mean', fill: '#4e79a7', r: 4.5 }),
        Plot.text(rows, { y: 'label', frameAnchor: 'right', text: (a: (typeof rows)[number]) => shorten(`best: ${a.setting}`, 30), dx: 8, textAnchor: 'start', fill: '#555' }),
      ],
    },
    document,
  );
}

function sweepPlot(figure: SweepFigure, document: PlotDocument): string {
  const rows = figure.points.map((p) => ({ ...p, arm: shorten(p.arm, 40) }));
  const seeds = rows.flatMap((p) => p.values.map((value) => ({ arm: p.arm, x: p.x, value })));
  const arms = [...new Set(rows.map((p) => p.arm))];
  const colorOf = (arm: string) => PALETTE[arms.indexOf(arm) % PALETTE.length]!;
  const key = legend(arms, colorOf);
  const ticks = [...new Set(rows.map((p) => p.x))].sort((a, b) => a - b);
  const edges = figure.edges.flatMap((edge) => {
    const arm = shorten(edge.arm, 40);
    const at = rows.find((p) => p.arm === arm && p.x === edge.best);
    return at ? [{ ...at, extendTo: edge.extendTo, side: edge.side }] : [];
  });
  return render(
    {
      height: HEIGHT + key.height,
      marginLeft: 60,
      marginRight: 30,
      marginTop: 10 + key.height,
      x: { type: figure.logX ? 'log' : 'linear', label: shorten(figure.key, 40), tickFormat: '~g', ...(ticks.length <= 12 ? { ticks } : {}) },
      y: { label: shorten(figure.objective, 40), grid: true, nice: true },
      color: { type: 'ordinal', domain: arms, range: arms.map(colorOf) },
      marks: [
        ...key.marks,
        Plot.line(rows, { x: 'x', y: 'mean', stroke: 'arm', strokeWidth: 1.5 }),
        Plot.dot(seeds, { x: 'x', y: 'value', fill: 'arm', r: 2, fillOpacity: 0.5 }),
        Plot.dot(rows, { x: 'x', y: 'mean', fill: 'arm', r: 4 }),
        Plot.dot(edges, { x: 'x', y: 'mean', stroke: SEVERITY_COLOR.warning, r: 9, strokeWidth: 2 }),
        ...(['low', 'high'] as const).map((side) =>
          Plot.text(
            edges.filter((e) => (e.side === 'high') === (side === 'high')),
            { x: 'x', y: 'mean', text: (e: (typeof edges)[number]) => `best at the ${e.side} edge: extend to ${e.extendTo}`, dy: -14, textAnchor: side === 'high' ? 'end' : 'start', fill: SEVERITY_COLOR.warning },
          ),
        ),
      ],
    },
    document,
  );
}

function effectsPlot(figure: EffectsFigure, document: PlotDocument): string {
  const rows = figure.effects.map((e) => ({ ...e, label: shorten(`${e.kind === 'interaction' ? 'interaction ' : ''}${e.name}`, 50) }));
  const color = (e: (typeof rows)[number]) => (e.matters ? SEVERITY_COLOR.warning : '#4e79a7');
  return render(
    {
      height: 50 + 34 * rows.length,
      marginLeft: 240,
      marginRight: 40,
      x: { label: `effect on ${shorten(figure.objective, 40)}, ${Math.round(figure.confidence * 100)}% interval`, grid: true, nice: true },
      y: { domain: rows.map((r) => r.label), label: null },
      marks: [
        Plot.ruleX([0], { stroke: '#222' }),
        Plot.ruleY(rows, { y: 'label', x1: 'low', x2: 'high', stroke: color, strokeWidth: 2 }),
        Plot.dot(rows, { y: 'label', x: 'estimate', fill: color, r: 4.5 }),
      ],
    },
    document,
  );
}

function probesPlot(figure: ProbesFigure, document: PlotDocument): string {
  const rows = figure.points.map((p) => ({ ...p, family: shorten(p.family, 30), size: shorten(p.size, 40) }));
  const sizes = [...new Set(rows.map((p) => p.size))];
  const lasts = [...new Map(rows.filter((p) => p.size === sizes.at(-1)).map((p) => [p.family, p])).values()];
  return render(
    {
      marginLeft: 60,
      marginRight: 150,
      x: { type: 'point', domain: sizes, label: null, padding: 0.4 },
      y: { label: shorten(figure.probe, 40), grid: true, nice: true },
      color: { type: 'ordinal', range: PALETTE },
      marks: [
        Plot.dot(rows, { x: 'size', y: 'value', fill: 'family', r: 4, fillOpacity: 0.8 }),
        Plot.line(rows, Plot.groupX({ y: 'max' }, { x: 'size', y: 'value', stroke: 'family' })),
        Plot.text(lasts, { x: 'size', y: 'value', text: 'family', fill: 'family', dx: 10, textAnchor: 'start' }),
      ],
    },
    document,
  );
}

function comparisonPlot(figure: ComparisonFigure, document: PlotDocument): string {
  const systems = [
    { ...figure.a, label: `A: ${shorten(figure.a.label, 40)}` },
    { ...figure.b, label: `B: ${shorten(figure.b.label, 40)}` },
  ];
  const withInterval = systems.filter((s) => s.low !== null && s.high !== null);
  const top = render(
    {
      height: 120,
      marginLeft: 260,
      marginRight: 40,
      x: { label: `${shorten(figure.metric, 30)}, ${Math.round(figure.confidence * 100)}% interval`, grid: true, nice: true },
      y: { domain: systems.map((s) => s.label), label: null },
      marks: [
        Plot.ruleY(withInterval, { y: 'label', x1: 'low', x2: 'high', stroke: '#4e79a7', strokeWidth: 2 }),
        Plot.dot(systems, { y: 'label', x: 'value', fill: '#4e79a7', r: 4.5 }),
      ],
    },
    document,
  );
  const d = figure.difference;
  const label = 'A − B (paired)';
  const color = figure.significant ? '#d62728' : '#4e79a7';
  const bound = Math.max(Math.abs(d.low ?? d.value), Math.abs(d.high ?? d.value), figure.mde, Math.abs(d.value)) * 1.1 || 1;
  const bottom = render(
    {
      height: 110,
      marginLeft: 260,
      marginRight: 40,
      x: { domain: [-bound, bound], label: `difference; shaded: ± smallest detectable (${figure.mde.toPrecision(3)})`, grid: true },
      y: { domain: [label], label: null },
      marks: [
        Plot.rectX([0], { x1: -figure.mde, x2: figure.mde, fill: '#ddd', fillOpacity: 0.6 }),
        Plot.ruleX([0], { stroke: '#222' }),
        ...(d.low !== null && d.high !== null ? [Plot.ruleY([{ label, low: d.low, high: d.high }], { y: 'label', x1: 'low', x2: 'high', stroke: color, strokeWidth: 2 })] : []),
        Plot.dot([{ label, value: d.value }], { y: 'label', x: 'value', fill: color, r: 4.5 }),
        Plot.text([{ label, value: d.value }], { y: 'label', x: 'value', text: () => `p = ${d.pValue.toPrecision(3)}`, dy: -12 }),
      ],
    },
    document,
  );
  return stack([
    { svg: top, height: 120 },
    { svg: bottom, height: 110 },
  ]);
}

type Renderers = { [K in Figure['kind']]: (figure: Extract<Figure, { kind: K }>, document: PlotDocument) => string };

/** One renderer per figure kind. */
export const PLOTS = {
  curves: curvesPlot,
  waterfall: waterfallPlot,
  arms: armsPlot,
  sweep: sweepPlot,
  effects: effectsPlot,
  probes: probesPlot,
  comparison: comparisonPlot,
} satisfies Renderers;

/** The SVG of one figure. */
export function renderFigure(figure: Figure, document: PlotDocument): string {
  const renderer = (PLOTS as Record<string, (figure: Figure, document: PlotDocument) => string>)[figure.kind];
  if (!renderer) throw new Error(`unknown figure kind: ${figure.kind} (known: ${Object.keys(PLOTS).join(', ')})`);
  return renderer(figure, document);
}
