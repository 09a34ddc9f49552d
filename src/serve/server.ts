/**
 * `ladder serve`'s HTTP server (node:http, no framework): the dashboard page and its two script
 * modules, the JSON API of api.ts over a Catalog, and server-sent events when studies or runs
 * change (the store is polled, ~500 ms, only while a browser listens).
 *
 *   request → path guard (security.ts) → Host / token check → route → Catalog → JSON
 *
 * Every response forbids inline script and any request to another origin
 * (Content-Security-Policy), and is never cached.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_SCHEMA, isSafeId, type ApiError, type EventName } from './api.js';
import type { Catalog } from './catalog.js';
import { DASHBOARD_CSS, dashboardPage } from './page.js';
import { hostHeaderAllowed, isLoopbackHost, pathProblem, presentedToken, TOKEN_COOKIE, tokenMatches } from './security.js';

export interface ServeOptions {
  catalog: Catalog;
  host: string;
  port: number;
  /** Required for a host other than loopback. */
  token?: string;
  /** Where the compiled client.js and api.js are (default: beside this file). */
  assetsDir?: string;
  /** How often the store is polled for the event stream. */
  pollMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export class ServeRefused extends Error {}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SCRIPTS = { 'client.js': 'client.js', 'api.js': 'api.js' } as const;

function baseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...baseHeaders(contentType), 'Content-Length': String(Buffer.byteLength(body)), ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body: ApiError = { schema: API_SCHEMA, error: { status, code, message } };
  sendJson(res, status, body);
}

/** Reads the compiled browser modules once; the source map comment is dropped (no map is served). */
function loadScripts(dir: string): Record<keyof typeof SCRIPTS, string> {
  const read = (name: string) => {
    const file = path.join(dir, name);
    try {
      return readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
    } catch {
      throw new ServeRefused(`the dashboard's script ${file} is missing; rebuild ladder (npm run build)`);
    }
  };
  return { 'client.js': read('client.js'), 'api.js': read('api.js') };
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { catalog } = options;
  const loopback = isLoopbackHost(options.host);
  if (!loopback && !options.token) throw new ServeRefused(`--host ${options.host} is reachable from other machines; pass --token T as well (every request must then carry it), or bind to 127.0.0.1`);
  const scripts = loadScripts(options.assetsDir ?? path.dirname(fileURLToPath(import.meta.url)));
  const page = dashboardPage();
  const pollMs = options.pollMs ?? 500;
  const listeners = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | undefined;
  const last: Record<EventName, string> = { studies: '', runs: '' };
  let port = options.port;

  const snapshot = (): Record<EventName, string> => ({ studies: JSON.stringify(catalog.studies()), runs: JSON.stringify(catalog.runs()) });

  const poll = () => {
    let now: Record<EventName, string>;
    try {
      now = snapshot();
    } catch {
      return; // the store is busy (a writer holds it): try again at the next tick
    }
    for (const name of ['studies', 'runs'] as const) {
      if (now[name] === last[name]) continue;
      last[name] = now[name];
      for (const res of listeners) res.write(`event: ${name}\ndata: ${now[name]}\n\n`);
    }
  };

  const events = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { ...baseHeaders('text/event-stream; charset=utf-8'), Connection: 'keep-alive' });
    res.write('retry: 2000\n: connected\n\n');
    if (listeners.size === 0) Object.assign(last, snapshot());
    listeners.add(res);
    timer ??= setInterval(poll, pollMs);
    req.on('close', () => {
      listeners.delete(res);
      if (listeners.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    });
  };

  const api = async (res: ServerResponse, parts: string[], query: URLSearchParams) => {
    const [resource, id, ...rest] = parts;
    if (rest.length > 0) return sendError(res, 404, 'not-found', 'no such API path');
    if (id !== undefined && !isSafeId(id)) return sendError(res, 400, 'bad-id', 'ids are letters, digits, ".", "_" and "-"');
    if (resource === 'studies' && id === undefined) return sendJson(res, 200, catalog.studies());
    if (resource === 'studies') {
      const study = catalog.study(id!);
      return study ? sendJson(res, 200, study) : sendError(res, 404, 'no-study', `no study ${id} in the store`);
    }
    if (resource === 'runs' && id === undefined) return sendJson(res, 200, catalog.runs());
    if (resource === 'runs') {
      const run = await catalog.run(id!);
      if (!run) return sendError(res, 404, 'no-run', `no run ${id}`);
      return 'error' in run ? sendError(res, 422, 'not-diagnosed', run.error) : sendJson(res, 200, run);
    }
    if (resource === 'compare' && id === undefined) {
      const a = query.get('a') ?? '';
      const b = query.get('b') ?? '';
      if (!isSafeId(a) || !isSafeId(b)) return sendError(res, 400, 'bad-id', 'compare needs ?a=RUN&b=RUN with run ids from /api/runs');
      const result = await catalog.compare(a, b);
      if (!result) return sendError(res, 404, 'no-run', 'one of the runs does not exist');
      return 'error' in result ? sendError(res, 422, 'not-diagnosed', `run ${result.which}: ${result.error}`) : sendJson(res, 200, result);
    }
    return sendError(res, 404, 'not-found', 'no such API path');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = req.url ?? '/';
    const question = raw.indexOf('?');
    const rawPath = question >= 0 ? raw.slice(0, question) : raw;
    if (!rawPath.startsWith('/')) return sendError(res, 400, 'bad-path', 'request paths start with /');
    const problem = pathProblem(rawPath);
    if (problem) return sendError(res, 400, problem, 'refused: the path leaves the dashboard');
    if (loopback && !hostHeaderAllowed(req.headers.host, port)) return sendError(res, 421, 'bad-host', 'the Host header does not name this server');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'method', 'the dashboard only reads');
    const query = new URLSearchParams(question >= 0 ? raw.slice(question + 1) : '');
    if (options.token) {
      const fromQuery = query.get('token');
      if (rawPath === '/' && fromQuery !== null) {
        if (!tokenMatches(fromQuery, options.token)) return sendError(res, 401, 'token', 'wrong token');
        // The token leaves the address bar (and the history) for an HttpOnly cookie.
        return send(res, 303, 'text/plain; charset=utf-8', 'see /', {
          Location: '/',
          'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(fromQuery)}; HttpOnly; SameSite=Strict; Path=/`,
        });
      }
      if (!tokenMatches(presentedToken(req.headers), options.token)) return sendError(res, 401, 'token', 'this dashboard needs its token: Authorization: Bearer T, or open /?token=T once');
    }
    const parts = rawPath.split('/').slice(1).map((p) => decodeURIComponent(p));
    if (rawPath === '/' || rawPath === '/index.html') return send(res, 200, 'text/html; charset=utf-8', page);
    if (parts[0] === 'assets' && parts.length === 2) {
      const name = parts[1]!;
      if (name === 'dashboard.css') return send(res, 200, 'text/css; charset=utf-8', DASHBOARD_CSS);
      if (Object.hasOwn(SCRIPTS, name)) return send(res, 200, 'text/javascript; charset=utf-8', scripts[name as keyof typeof SCRIPTS]);
      return sendError(res, 404, 'not-found', 'no such asset');
    }
    if (rawPath === '/api/events') return events(req, res);
    if (parts[0] === 'api' && parts.length >= 2) return api(res, parts.slice(1), query);
    return sendError(res, 404, 'not-found', 'nothing here; the dashboard is at /');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'internal', String((error as Error).message).split('\n')[0]!);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new ServeRefused(`port ${options.port} on ${options.host} is in use; pick another with --port N (0 picks a free one)`) : error.code === 'EADDRNOTAVAIL' ? new ServeRefused(`--host ${options.host} is not an address of this machine`) : error),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  catalog.startBackgroundDiagnosis();
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        if (timer) clearInterval(timer);
        for (const res of listeners) res.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
