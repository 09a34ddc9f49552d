import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { TrialState } from '../../src/experiments/executor.js';
import { IllegalTransition, openStore, RetryBudgetSpent, SCHEMA_VERSION, TRANSITIONS, type Store } from '../../src/experiments/store.js';
import { scratch } from '../support/files.js';

const root = scratch('store');
let n = 0;

function freshStore(trials = 1): Store {
  const store = openStore(path.join(root, `s${n++}.db`));
  store.createStudy(
    { id: 'st', name: 'st', dir: path.join(root, `dir${n}`), planFile: 'plan.yaml', plan: {}, planHash: 'h', executor: 'local' },
    Array.from({ length: trials }, (_, i) => ({ id: `t${i}`, index: i, params: { i }, argv: ['p'], env: {}, dir: `/d/t${i}` })),
  );
  return store;
}

const STATES: TrialState[] = ['pending', 'submitted', 'running', 'done', 'failed', 'cancelled'];

/** Drives trial t0 of a fresh store into `state` through legal moves. */
function storeAt(state: TrialState): Store {
  const store = freshStore();
  const path: Record<TrialState, TrialState[]> = {
    pending: [],
    submitted: ['submitted'],
    running: ['submitted', 'running'],
    done: ['submitted', 'running', 'done'],
    failed: ['submitted', 'running', 'failed'],
    cancelled: ['submitted', 'running', 'cancelled'],
  };
  for (const to of path[state]) store.transition('st', 't0', to);
  return store;
}

describe('the experiment store', () => {
  it('applies its migrations once, in WAL mode with foreign keys on', () => {
    const file = path.join(root, 'migrate.db');
    openStore(file).close();
    const store = openStore(file);
    expect(store.schemaVersions()).toEqual([SCHEMA_VERSION]);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });

  it('refuses a store written by a newer schema', () => {
    const file = path.join(root, 'newer.db');
    openStore(file).close();
    const db = new Database(file);
    db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 'now');
    db.close();
    expect(() => openStore(file)).toThrow(/newer ladder/);
  });

  it('allows exactly the transitions of the state machine and refuses every other one', () => {
    let legal = 0;
    let refused = 0;
    for (const from of STATES) {
      for (const to of STATES) {
        const store = storeAt(from);
        const allowed = TRANSITIONS[from].includes(to);
        const attempt = () => store.transition('st', 't0', to, {}, 5);
        if (allowed) {
          expect(attempt().state).toBe(to);
          legal++;
        } else {
          expect(attempt).toThrow(IllegalTransition);
          expect(store.trial('st', 't0')!.state).toBe(from);
          refused++;
        }
        store.close();
      }
    }
    expect(legal).toBe(13);
    expect(refused).toBe(23);
  });

  it('refuses the transitions that matter by name: skipping ahead, leaving done, pending straight from running', () => {
    const store = freshStore();
    expect(() => store.transition('st', 't0', 'done')).toThrow(IllegalTransition);
    expect(() => store.transition('st', 't0', 'running')).toThrow(IllegalTransition);
    store.transition('st', 't0', 'submitted');
    store.transition('st', 't0', 'running', { handle: '123' });
    expect(() => store.transition('st', 't0', 'pending')).toThrow(IllegalTransition);
    store.transition('st', 't0', 'done', { exitCode: 0 });
    for (const to of STATES) expect(() => store.transition('st', 't0', to)).toThrow(IllegalTransition);
    expect(store.events('st', 't0').map((e) => e.to_state)).toEqual(['submitted', 'running', 'done']);
  });

  it('counts retries and refuses one beyond the budget', () => {
    const store = freshStore();
    const fail = () => {
      store.transition('st', 't0', 'submitted');
      store.transition('st', 't0', 'running');
      store.transition('st', 't0', 'failed', { exitCode: 3, reason: 'exit' });
    };
    fail();
    expect(() => store.transition('st', 't0', 'pending')).toThrow(RetryBudgetSpent);
    store.transition('st', 't0', 'pending', {}, 2);
    fail();
    store.transition('st', 't0', 'pending', {}, 2);
    fail();
    expect(() => store.transition('st', 't0', 'pending', {}, 2)).toThrow(RetryBudgetSpent);
    const row = store.trial('st', 't0')!;
    expect([row.state, row.retries, row.attempts, row.exit_code, row.reason]).toEqual(['failed', 2, 3, 3, 'exit']);
  });

  it('requeues without counting: never-started submitted trials and cancelled ones', () => {
    const store = freshStore();
    store.transition('st', 't0', 'submitted');
    store.transition('st', 't0', 'pending');
    store.transition('st', 't0', 'submitted');
    store.transition('st', 't0', 'cancelled', { reason: 'cancelled' });
    store.transition('st', 't0', 'pending');
    const row = store.trial('st', 't0')!;
    expect([row.state, row.retries, row.reason, row.handle]).toEqual(['pending', 0, null, null]);
  });

  it('keeps foreign keys: runs of an unknown trial are refused', () => {
    const store = freshStore();
    expect(() => store.saveResults('st', [{ trialId: 'nope', runId: 'r', format: 'jsonl', path: '/x' }], [], null, null)).toThrow(/FOREIGN KEY/);
    store.saveResults('st', [{ trialId: 't0', runId: 'r', format: 'jsonl', path: '/x' }], [{ code: 'c', layer: 'reachability', severity: 'warning', summary: 's', json: '{}' }], 'reachability', '{}');
    expect(store.runs('st')).toHaveLength(1);
    expect(store.findings('st').map((f) => f.code)).toEqual(['c']);
    expect(store.study('st')!.verdict).toBe('reachability');
  });
});
