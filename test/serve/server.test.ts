import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/experiments/store.js';
import { ingest } from '../../src/ingest/ingest.js';
import type { CompareResponse, RunResponse, RunsResponse, StudiesResponse, StudyResponse } from '../../src/serve/api.js';
import { Catalog } from '../../src/serve/catalog.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { hasStackTrace, ladder } from '../support/cli.js';
import { REPO } from '../support/corpus.js';
import { scratch } from '../support/files.js';
import { demoStore, HOSTILE, hostileDir, LONG } from './fixtures.js';

const ASSETS = path.join(REPO, 'dist/src/serve');
const root = scratch('serve');
const demo = demoStore(root);
const hostile = hostileDir(root);

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP GET: the path is sent exactly as written (no normalisation of `..` or escapes). */
function get(server: RunningServer, rawPath: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: rawPath, headers: { host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function getJson<T>(server: RunningServer, rawPath: string): Promise<T> {
  const reply = await get(server, rawPath);
  expect(reply.status, reply.body.slice(0, 300)).toBe(200);
  return JSON.parse(reply.body) as T;
}

async function catalog(): Promise<Catalog> {
  const found = await ingest([hostile]);
  return new Catalog(openStore(demo.file), { root: hostile, runs: found.runs, issues: found.issues });
}

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ catalog: await catalog(), host: '127.0.0.1', port: 0, assetsDir: ASSETS });
});
afterAll(async () => {
  await server.close();
});

describe('ladder serve: API', () => {
  it('lists the studies with their trial counts and verdicts, and a study with its trials, findings and runs', async () => {
    const studies = await getJson<StudiesResponse>(server, '/api/studies');
    expect(studies.studies).toHaveLength(1);
    const s = studies.studies[0]!;
    expect([s.id, s.state, s.verdict]).toEqual([demo.studyId, 'running', 'reachability']);
    expect(s.trials).toEqual({ total: 3, pending: 0, submitted: 0, running: 1, done: 2, failed: 0, cancelled: 0 });
    const study = await getJson<StudyResponse>(server, `/api/studies/${demo.studyId}`);
    expect(study.trials.map((t) => [t.id, t.state, t.params.lr])).toEqual([
      ['t0', 'done', '0.001'],
      ['t1', 'done', '0.1'],
      ['t2', 'running', '0.01'],
    ]);
    expect(study.findings.map((f) => f.code)).toEqual(['reachability.overfitting']);
    expect(study.runs.map((r) => r.name).sort()).toEqual(['t0', 't1']);
  });

  it('lists the store runs and the --dir runs, and diagnoses a run on demand with its plots as SVG', async () => {
    const runs = await getJson<RunsResponse>(server, '/api/runs');
    const stored = runs.runs.filter((r) => r.source.kind === 'study');
    expect(stored.map((r) => r.name).sort()).toEqual(['t0', 't1']);
    expect(runs.runs.filter((r) => r.source.kind === 'dir')).toHaveLength(HOSTILE.length + 1);
    for (const r of runs.runs) expect(r.id).toMatch(/^r[0-9a-f]{16}$/);
    const t1 = stored.find((r) => r.name === 't1')!;
    const run = await getJson<RunResponse>(server, `/api/runs/${t1.id}`);
    expect(run.verdict.layer).toBe('reachability');
    expect(run.findings.map((f) => f.code)).toContain('reachability.overfitting');
    // The trial's parameters became the run's hyperparameters, as the runner does.
    expect(run.hparams).toMatchObject({ lr: '0.1', arch: 'transformer', seed: '1' });
    expect(run.plots.length).toBeGreaterThanOrEqual(2);
    for (const plot of run.plots) expect(plot.svg).toMatch(/^<svg[^>]* xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect((run.diagnosis as { schema: string }).schema).toBe('ladder.diagnosis/v1');
    // Cached: the list now carries the verdict.
    const again = await getJson<RunsResponse>(server, '/api/runs');
    expect(again.runs.find((r) => r.id === t1.id)!.verdict).toBe('reachability');
  });

  it('compares two runs showing only the hyperparameters that differ', async () => {
    const runs = (await getJson<RunsResponse>(server, '/api/runs')).runs.filter((r) => r.source.kind === 'study');
    const [t0, t1] = ['t0', 't1'].map((name) => runs.find((r) => r.name === name)!);
    const compare = await getJson<CompareResponse>(server, `/api/compare?a=${t0!.id}&b=${t1!.id}`);
    expect(compare.differing).toEqual([{ key: 'lr', a: '0.001', b: '0.1' }]);
    expect(compare.same).toBe(2);
    expect(compare.series.map((s) => s.name).sort()).toEqual(['train_loss', 'val_loss']);
    expect(compare.plots).toHaveLength(2);
    expect([compare.a.verdict.layer, compare.b.verdict.layer]).toEqual(['none', 'reachability']);
  });

  it('keeps hostile names, hyperparameters and tags as data, and their plots free of markup', async () => {
    const runs = (await getJson<RunsResponse>(server, '/api/runs')).runs.filter((r) => r.source.kind === 'dir');
    const mlflow = runs.find((r) => r.format === 'mlflow')!;
    const detail = await getJson<RunResponse>(server, `/api/runs/${mlflow.id}`);
    expect(detail.hparams[HOSTILE[1].replace(/\//g, '|')]).toBe(HOSTILE[0]);
    expect(detail.hparams.long).toBe(LONG);
    expect(detail.hparams.url).toBe(HOSTILE[2]);
    expect(detail.tags[HOSTILE[3]]).toBe(HOSTILE[1]);
    const scripted = runs.find((r) => r.name.startsWith('<script>'))!;
    const withSeries = await getJson<RunResponse>(server, `/api/runs/${scripted.id}`);
    expect(withSeries.series.map((s) => s.name)).toContain(HOSTILE[0]);
    const svgs = withSeries.plots.map((p) => p.svg).join('\n');
    expect(svgs).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svgs).not.toMatch(/<script|<img|<foreignObject|\son[a-z]+=|javascript:/i);
  });

  it('refuses traversal in every spelling, absolute paths and unknown ids, without reading a file', async () => {
    const attempts = [
      '/assets/../../package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/%2E%2E%2F%2E%2E%2Fpackage.json',
      '/api/runs/..',
      '/api/runs/%2e%2e',
      '/api/runs/%2fetc%2fpasswd',
      '/api/studies/..%5c..%5cwindows',
      '//etc/passwd',
      '/api/runs//etc/passwd',
      '/api/runs/.%2e/.%2e/etc/passwd',
      '/api/compare?a=../x&b=/etc/passwd',
      '/api/runs/r0000000000000000',
      '/api/studies/nope',
      '/assets/server.js',
      '/etc/passwd',
    ];
    for (const attempt of attempts) {
      const reply = await get(server, attempt);
      expect([400, 404], `${attempt} → ${reply.status}`).toContain(reply.status);
      expect(reply.body).not.toMatch(/"name": "ladder"|root:x:0/);
      expect(JSON.parse(reply.body).error.status).toBe(reply.status);
    }
    expect((await get(server, '/assets/..%2f..%2fpackage.json')).status).toBe(400);
    expect((await get(server, '/api/runs/%2fetc%2fpasswd')).status).toBe(400);
  });

  it('serves the page and its modules with a policy that forbids inline script and other origins; refuses a foreign Host', async () => {
    const page = await get(server, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).not.toMatch(/https?:\/\//);
    const client = await get(server, '/assets/client.js');
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toMatch(/javascript/);
    // No HTML parsing of data in the client: none of these calls appear in its code (comments aside).
    const code = client.body.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    expect(code).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    expect((await get(server, '/', { host: 'evil.example' })).status).toBe(421);
    expect((await get(server, '/', { host: `evil.example:${server.port}` })).status).toBe(421);
  });

  it('streams a study change as a server-sent event', async () => {
    const received = new Promise<StudiesResponse>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/api/events', headers: { host: `127.0.0.1:${server.port}` } }, (res) => {
        expect(res.headers['content-type']).toMatch(/text\/event-stream/);
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          if (buffer.includes(': connected')) {
            // Connected: finish trial t2 in the store, as a runner would.
            const store = openStore(demo.file);
            if (store.trial(demo.studyId, 't2')!.state === 'running') store.transition(demo.studyId, 't2', 'done');
            store.close();
            buffer = buffer.replace(': connected', '');
          }
          const match = /event: studies\ndata: (.*)\n\n/.exec(buffer);
          if (match) {
            resolve(JSON.parse(match[1]!) as StudiesResponse);
            req.destroy();
          }
        });
      });
      req.on('error', (error) => (error.message.includes('aborted') ? undefined : reject(error)));
      req.end();
    });
    const studies = await received;
    expect(studies.studies[0]!.trials.done).toBe(3);
    expect(studies.studies[0]!.trials.running).toBe(0);
  });
});

describe('ladder serve: token', () => {
  it('needs the token on every request: bearer header, or ?token= once for an HttpOnly SameSite=Strict cookie', async () => {
    const token = 'sekrit-token-123';
    const guarded = await startServer({ catalog: await catalog(), host: '127.0.0.1', port: 0, token, assetsDir: ASSETS });
    try {
      expect((await get(guarded, '/')).status).toBe(401);
      expect((await get(guarded, '/api/studies')).status).toBe(401);
      expect((await get(guarded, '/api/studies', { authorization: 'Bearer wrong-token-1' })).status).toBe(401);
      expect((await get(guarded, '/?token=wrong-token-1')).status).toBe(401);
      expect((await get(guarded, '/api/studies', { authorization: `Bearer ${token}` })).status).toBe(200);
      const login = await get(guarded, `/?token=${token}`);
      expect(login.status).toBe(303);
      expect(login.headers.location).toBe('/');
      const cookie = String(login.headers['set-cookie']);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      const pair = cookie.split(';')[0]!;
      expect((await get(guarded, '/api/studies', { cookie: pair })).status).toBe(200);
      expect((await get(guarded, '/assets/client.js', { cookie: pair })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

describe('ladder serve: command line', () => {
  it('refuses a non-loopback host without a token, a missing store and a bad port: one line, exit 2', () => {
    const cases = [
      ['serve', '--host', '0.0.0.0', '--store', demo.file],
      ['serve', '--host', '192.168.1.10', '--port', '0', '--dir', hostile],
      ['serve', '--store', path.join(root, 'missing.db')],
      ['serve', '--store', demo.file, '--port', 'http'],
      ['serve', '--store', demo.file, '--port', '70000'],
      ['serve', '--dir', path.join(root, 'nowhere')],
      ['serve', '--store', demo.file, '--host', '0.0.0.0', '--token', 'short'],
    ];
    for (const args of cases) {
      const result = ladder(args, { cwd: root, timeout: 20_000 });
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^ladder: /);
      expect(hasStackTrace(result.stderr)).toBe(false);
    }
    expect(ladder(['serve', '--host', '0.0.0.0', '--store', demo.file], { cwd: root }).stderr).toMatch(/--token/);
  });
});
