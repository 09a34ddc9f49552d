/** Starts the built `ladder serve` as a user would, and stops it. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO } from '../support/corpus.js';

export interface Served {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function serve(args: string[], cwd: string): Promise<Served> {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/ladder.js'), 'serve', '--port', '0', ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /dashboard at (http:\/\/\S+)/.exec(out);
      if (match) {
        resolve({
          url: match[1]!,
          process: child,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`ladder serve exited with ${code}: ${err.trim()}`)));
  });
}
