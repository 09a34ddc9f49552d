import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, ladder } from '../support/cli.js';
import { HAS_CORPUS, REPO, corpusPath } from '../support/corpus.js';
import { scratch } from '../support/files.js';

const dir = scratch('report');
const WHISPER = corpusPath('real-logs/hf-trainer/CoralReefFish__whisper-tiny-nbaiLab');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);


describe('ladder report / diagnose --html / --png', () => {
  it.skipIf(!HAS_CORPUS)('reports the 100k-step Whisper run in one self-contained file under 2 MB', () => {
    const file = path.join(dir, 'whisper.html');
    const result = ladder(['report', WHISPER, '--html', file]);
    expect(result.status).toBe(0);
    const size = statSync(file).size;
    expect(size).toBeLessThan(2 * 1024 * 1024);
    const html = readFileSync(file, 'utf8');
    const { document } = parseHTML(html);
    expect(document.querySelectorAll('script').length).toBe(0);
    // No network fetch: no element refers to anything outside the file.
    expect(html).not.toMatch(/\b(src|href)="(?!#)/);
    // The verdict this run gets (docs/corpus-verdicts.md) and its finding are at the top, plots follow.
    expect(document.querySelector('.verdict')!.textContent).toContain('Verdict: observation');
    expect(html.indexOf('observation.val-better-than-train')).toBeLessThan(html.indexOf('<svg'));
    expect(document.querySelectorAll('figure svg').length).toBeGreaterThanOrEqual(8);
    // The training loss (≈ 4,000 points) is downsampled to at most 2,000 points per curve.
    const longest = Math.max(...Array.from(document.querySelectorAll('path') as ArrayLike<{ getAttribute(n: string): string | null }>).map((p) => (p.getAttribute('d') ?? '').split('L').length));
    expect(longest).toBeLessThanOrEqual(2000);
    expect(longest).toBeGreaterThan(1000);
  });

  it('writes one PNG per plot, byte-identical on a second run (shipped font, no system fonts)', () => {
    const run = path.join(REPO, 'test/fixtures/diagnosis-suite/runs/divergence-nan-tb');
    const first = path.join(dir, 'png1');
    const second = path.join(dir, 'png2');
    expect(ladder(['diagnose', run, '--png', first]).status).toBe(0);
    expect(ladder(['diagnose', run, '--png', second]).status).toBe(0);
    const files = readdirSync(first).sort();
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(files[0]).toMatch(/^01-degradation-budget/);
    for (const name of files) {
      const bytes = readFileSync(path.join(first, name));
      expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      // 760 px wide at 2× zoom.
      expect(bytes.readUInt32BE(16)).toBe(1520);
      expect(bytes.equals(readFileSync(path.join(second, name)))).toBe(true);
    }
  });

  it('reports a study with its arm, sweep and ablation figures', () => {
    const file = path.join(dir, 'ablation.html');
    const result = ladder(['diagnose', path.join(REPO, 'test/fixtures/studies/ablation'), '--html', file]);
    expect(result.status).toBe(0);
    const { document } = parseHTML(readFileSync(file, 'utf8'));
    const captions = Array.from(document.querySelectorAll('figcaption') as ArrayLike<{ textContent: string | null }>).map((c) => c.textContent ?? '');
    expect(captions.some((c) => c.startsWith('each arm at its tuned best'))).toBe(true);
    expect(captions.some((c) => c.startsWith('ablation: effect of turning each component on'))).toBe(true);
    expect(captions.filter((c) => / vs .*, per arm$/.test(c)).length).toBeGreaterThanOrEqual(1);
  });

  it('compare --html draws both intervals and the paired difference', () => {
    const file = path.join(dir, 'compare.html');
    const pngs = path.join(dir, 'compare-png');
    const a = path.join(REPO, 'test/fixtures/compare/system-a');
    const b = path.join(REPO, 'test/fixtures/compare/system-b');
    const json = ladder(['compare', a, b, '--json']);
    const result = ladder(['compare', a, b, '--html', file, '--png', pngs]);
    expect(result.status).toBe(0);
    const expected = JSON.parse(json.stdout) as { difference: { value: number } };
    const html = readFileSync(file, 'utf8');
    expect(parseHTML(html).document.querySelectorAll('svg').length).toBe(3); // the stack and its two panels
    expect(html).toContain(`${Number(expected.difference.value.toPrecision(5))} [`);
    expect(readdirSync(pngs)).toHaveLength(1);
  });

  it('refuses bad output paths and a report without --html in one line, before reading anything', () => {
    const run = path.join(REPO, 'test/fixtures/diagnosis-suite/runs/divergence-nan-tb');
    expectOneLineError(['report', run], '--html');
    expectOneLineError(['diagnose', run, '--html', path.join(dir, 'missing-folder', 'r.html')], 'missing-folder', 'does not exist');
    expectOneLineError(['diagnose', run, '--html', dir], 'is a folder');
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    expectOneLineError(['diagnose', run, '--png', file], 'is a file');
    expect(existsSync(path.join(dir, 'missing-folder'))).toBe(false);
  });
});
