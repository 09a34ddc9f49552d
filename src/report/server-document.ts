/**
 * A DOM document for rendering plots outside a browser: linkedom's, which Observable Plot draws
 * into and which serializes SVG with its text escaped. One document serves every plot of a
 * process (Plot only creates detached elements in it).
 */
import { parseHTML } from 'linkedom';
import type { PlotDocument } from './plots.js';

let shared: PlotDocument | undefined;

export function serverDocument(): PlotDocument {
  shared ??= parseHTML('<!doctype html><html><head></head><body></body></html>').document as unknown as PlotDocument;
  return shared;
}
