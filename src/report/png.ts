/**
 * SVG to PNG through resvg, with the DejaVu Sans font shipped in assets/fonts and system fonts
 * off, so a PNG comes out the same on every machine. Each PNG gets its figure's title above
 * the plot.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import { escapeText } from './escape.js';
import type { Figure } from './figures.js';
import { PLOT_WIDTH, renderFigure } from './plots.js';
import { serverDocument } from './server-document.js';

export const FONT_FAMILY = 'DejaVu Sans';

/** assets/fonts/DejaVuSans.ttf of the package: two levels above src/report, three above dist/src/report. */
export function fontFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = ['../..', '../../..'].map((up) => path.resolve(here, up, 'assets/fonts/DejaVuSans.ttf'));
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`the report font is missing (looked for ${candidates.join(' and ')}); reinstall ladder`);
  return found;
}

/** The figure's SVG with its title on top, as one standalone SVG document. */
export function titledSvg(figure: Figure, svg = renderFigure(figure, serverDocument())): string {
  const height = Number(/^<svg[^>]*?\bheight="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 250);
  const title = escapeText(figure.title.length > 110 ? `${figure.title.slice(0, 109)}…` : figure.title);
  const inner = svg.replace(/^<svg /, '<svg x="0" y="28" ');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${PLOT_WIDTH}" height="${height + 28}" viewBox="0 0 ${PLOT_WIDTH} ${height + 28}">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="8" y="19" font-family="${FONT_FAMILY}" font-size="13" font-weight="bold" fill="#222">${title}</text>${inner}</svg>`
  );
}

/** PNG bytes of a standalone SVG, at `scale` × its size. */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    font: { fontFiles: [fontFile()], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
  });
  return resvg.render().asPng();
}

/** A file name from a figure title: lower-case letters, digits and dashes only, never a path. */
export function pngName(index: number, title: string): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${String(index + 1).padStart(2, '0')}-${slug || 'figure'}.png`;
}

/** Writes one PNG per figure into `dir` (created when missing); returns the files written. */
export function writePngs(dir: string, figures: Figure[], prefix = ''): string[] {
  mkdirSync(dir, { recursive: true });
  return figures.map((figure, i) => {
    const file = path.join(dir, `${prefix}${pngName(i, figure.title)}`);
    writeFileSync(file, svgToPng(titledSvg(figure)));
    return file;
  });
}
