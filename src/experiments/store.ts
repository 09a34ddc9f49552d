/**
 * The experiment store (DESIGN section 6): one SQLite file (better-sqlite3, WAL) holding
 * studies, their trials with the trial state machine, the runs ingested from each trial and
 * the findings of the study's diagnosis. Every trial transition is one transaction that
 * checks the current state and appends to the trial's event log, so a runner killed at any
 * instant leaves a consistent store and the log shows what happened.
 *
 * The state machine (TRANSITIONS below):
 *
 *   pending → submitted → running → done | failed | cancelled
 *   submitted → done | failed | cancelled  (a trial that finished before `running` was seen)
 *   submitted → pending                     (requeue: it never started, not counted)
 *   running → submitted                     (the executor requeued it, e.g. its node failed)
 *   failed → pending                        (retry: counted against the plan's retries)
 *   cancelled → pending                     (resume after a cancellation, not counted)
 *
 * Schema changes are versioned migrations applied in order and recorded in `migrations`.
 */
import Database from 'better-sqlite3';
import type { TrialState } from './executor.js';

export const DEFAULT_STORE = 'ladder.db';

type Db = Database.Database;

/** Migrations in order; never edit one that has shipped, add the next. */
const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'studies, trials, trial events, runs, findings',
    sql: `
      CREATE TABLE studies (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        dir TEXT NOT NULL UNIQUE,
        plan_file TEXT NOT NULL,
        plan_json TEXT NOT NULL,
        plan_hash TEXT NOT NULL,
        executor TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'cancelled')),
        verdict TEXT,
        diagnosis_json TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE trials (
        study_id TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        params_json TEXT NOT NULL,
        argv_json TEXT NOT NULL,
        env_json TEXT NOT NULL,
        dir TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'submitted', 'running', 'done', 'failed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        retries INTEGER NOT NULL DEFAULT 0,
        handle TEXT,
        exit_code INTEGER,
        reason TEXT,
        submitted_at TEXT,
        started_at TEXT,
        finished_at TEXT,
        PRIMARY KEY (study_id, id)
      );
      CREATE INDEX trials_state ON trials(study_id, state);
      CREATE TABLE trial_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        study_id TEXT NOT NULL,
        trial_id TEXT NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        handle TEXT,
        exit_code INTEGER,
        reason TEXT,
        at TEXT NOT NULL,
        FOREIGN KEY (study_id, trial_id) REFERENCES trials(study_id, id) ON DELETE CASCADE
      );
      CREATE TABLE runs (
        study_id TEXT NOT NULL,
        trial_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        format TEXT NOT NULL,
        path TEXT NOT NULL,
        PRIMARY KEY (study_id, run_id),
        FOREIGN KEY (study_id, trial_id) REFERENCES trials(study_id, id) ON DELETE CASCADE
      );
      CREATE TABLE findings (
        study_id TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        code TEXT NOT NULL,
        layer TEXT NOT NULL,
        severity TEXT NOT NULL,
        summary TEXT NOT NULL,
        finding_json TEXT NOT NULL,
        PRIMARY KEY (study_id, seq)
      );
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** Legal transitions of a trial; anything else is refused with IllegalTransition. */
export const TRANSITIONS: Record<TrialState, readonly TrialState[]> = {
  pending: ['submitted', 'cancelled'],
  submitted: ['running', 'done', 'failed', 'cancelled', 'pending'],
  running: ['done', 'failed', 'cancelled', 'submitted'],
  done: [],
  failed: ['pending'],
  cancelled: ['pending'],
};

export const TERMINAL: readonly TrialState[] = ['done', 'failed', 'cancelled'];

export class IllegalTransition extends Error {
  constructor(
    readonly trialId: string,
    readonly from: TrialState,
    readonly to: TrialState,
  ) {
    super(`trial ${trialId}: ${from} → ${to} is not a legal transition`);
  }
}

export class RetryBudgetSpent extends Error {
  constructor(
    readonly trialId: string,
    readonly retries: number,
  ) {
    super(`trial ${trialId}: already retried ${retries} time(s), the plan's budget`);
  }
}

export interface StudyRow {
  id: string;
  name: string;
  dir: string;
  plan_file: string;
  plan_json: string;
  plan_hash: string;
  executor: string;
  state: 'running' | 'finished' | 'cancelled';
  verdict: string | null;
  diagnosis_json: string | null;
  created_at: string;
  updated_at: string;
}

export interface TrialRow {
  study_id: string;
  id: string;
  idx: number;
  params_json: string;
  argv_json: string;
  env_json: string;
  dir: string;
  state: TrialState;
  attempts: number;
  retries: number;
  handle: string | null;
  exit_code: number | null;
  reason: string | null;
  submitted_at: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface NewTrial {
  id: string;
  index: number;
  params: Record<string, unknown>;
  argv: string[];
  env: Record<string, string>;
  dir: string;
}

export interface TransitionDetails {
  handle?: string;
  exitCode?: number | null;
  reason?: string | null;
}

const now = () => new Date().toISOString();

export class Store {
  readonly db: Db;

  constructor(readonly file: string) {
    this.db = new Database(file, { timeout: 10_000 });
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a committed transaction survives a crash of the process (not of the
    // machine's power), at a fraction of FULL's fsyncs — the runner's crash model.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 10000');
    this.migrate();
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const applied = new Set((this.db.prepare('SELECT version FROM migrations').all() as { version: number }[]).map((row) => row.version));
    const newest = Math.max(0, ...applied);
    if (newest > SCHEMA_VERSION) throw new Error(`${this.file} was written by a newer ladder (store schema ${newest}, this one knows ${SCHEMA_VERSION}); upgrade ladder`);
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        this.db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, now());
      }).immediate();
    }
  }

  close(): void {
    this.db.close();
  }

  schemaVersions(): number[] {
    return (this.db.prepare('SELECT version FROM migrations ORDER BY version').all() as { version: number }[]).map((row) => row.version);
  }

  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string;
  }

  // Studies

  createStudy(study: { id: string; name: string; dir: string; planFile: string; plan: unknown; planHash: string; executor: string }, trials: NewTrial[]): void {
    const insertTrial = this.db.prepare(
      'INSERT INTO trials (study_id, id, idx, params_json, argv_json, env_json, dir, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO studies (id, name, dir, plan_file, plan_json, plan_hash, executor, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(study.id, study.name, study.dir, study.planFile, JSON.stringify(study.plan), study.planHash, study.executor, 'running', now(), now());
      for (const trial of trials) {
        insertTrial.run(study.id, trial.id, trial.index, JSON.stringify(trial.params), JSON.stringify(trial.argv), JSON.stringify(trial.env), trial.dir, 'pending');
      }
    }).immediate();
  }

  study(id: string): StudyRow | undefined {
    return this.db.prepare('SELECT * FROM studies WHERE id = ?').get(id) as StudyRow | undefined;
  }

  studyByDir(dir: string): StudyRow | undefined {
    return this.db.prepare('SELECT * FROM studies WHERE dir = ?').get(dir) as StudyRow | undefined;
  }

  studies(): StudyRow[] {
    return this.db.prepare('SELECT * FROM studies ORDER BY created_at, id').all() as StudyRow[];
  }

  setStudyState(id: string, state: StudyRow['state'], executor?: string): void {
    this.db.prepare('UPDATE studies SET state = ?, executor = COALESCE(?, executor), updated_at = ? WHERE id = ?').run(state, executor ?? null, now(), id);
  }

  // Trials

  trials(studyId: string): TrialRow[] {
    return this.db.prepare('SELECT * FROM trials WHERE study_id = ? ORDER BY idx').all(studyId) as TrialRow[];
  }

  trial(studyId: string, trialId: string): TrialRow | undefined {
    return this.db.prepare('SELECT * FROM trials WHERE study_id = ? AND id = ?').get(studyId, trialId) as TrialRow | undefined;
  }

  counts(studyId: string): Record<TrialState, number> {
    const counts: Record<TrialState, number> = { pending: 0, submitted: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
    for (const row of this.db.prepare('SELECT state, COUNT(*) AS n FROM trials WHERE study_id = ? GROUP BY state').all(studyId) as { state: TrialState; n: number }[]) {
      counts[row.state] = row.n;
    }
    return counts;
  }

  /**
   * Moves one trial to `to` if that is legal from its current state, in one transaction with
   * its event. `failed → pending` is a retry and needs `retryBudget`; `submitted → pending`
   * and `cancelled → pending` are requeues and cost nothing.
   */
  transition(studyId: string, trialId: string, to: TrialState, details: TransitionDetails = {}, retryBudget?: number): TrialRow {
    return this.db.transaction(() => {
      const row = this.trial(studyId, trialId);
      if (!row) throw new Error(`no trial ${trialId} in study ${studyId}`);
      if (!TRANSITIONS[row.state].includes(to)) throw new IllegalTransition(trialId, row.state, to);
      const at = now();
      let retries = row.retries;
      if (row.state === 'failed' && to === 'pending') {
        if (retryBudget === undefined || row.retries >= retryBudget) throw new RetryBudgetSpent(trialId, row.retries);
        retries += 1;
      }
      const attempts = to === 'submitted' ? row.attempts + 1 : row.attempts;
      const reset = to === 'pending' || to === 'submitted';
      const handle = details.handle ?? (reset ? null : row.handle);
      const exitCode = details.exitCode !== undefined ? details.exitCode : reset ? null : row.exit_code;
      const reason = details.reason !== undefined ? details.reason : reset ? null : row.reason;
      this.db
        .prepare(
          `UPDATE trials SET state = ?, attempts = ?, retries = ?, handle = ?, exit_code = ?, reason = ?,
             submitted_at = CASE WHEN ? = 'submitted' THEN ? ELSE submitted_at END,
             started_at = CASE WHEN ? = 'running' THEN ? WHEN ? IN ('pending', 'submitted') THEN NULL ELSE started_at END,
             finished_at = CASE WHEN ? IN ('done', 'failed', 'cancelled') THEN ? WHEN ? IN ('pending', 'submitted') THEN NULL ELSE finished_at END
           WHERE study_id = ? AND id = ?`,
        )
        .run(to, attempts, retries, handle, exitCode, reason, to, at, to, at, to, to, at, to, studyId, trialId);
      this.db
        .prepare('INSERT INTO trial_events (study_id, trial_id, from_state, to_state, attempt, handle, exit_code, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(studyId, trialId, row.state, to, attempts, handle, exitCode, reason, at);
      return this.trial(studyId, trialId)!;
    }).immediate();
  }

  /** Records the handle of a trial already submitted or running (no state change). */
  setHandle(studyId: string, trialId: string, handle: string): void {
    this.db.prepare('UPDATE trials SET handle = ? WHERE study_id = ? AND id = ?').run(handle, studyId, trialId);
  }

  events(studyId: string, trialId?: string): { trial_id: string; from_state: TrialState; to_state: TrialState; attempt: number; reason: string | null; exit_code: number | null }[] {
    return (
      trialId === undefined
        ? this.db.prepare('SELECT * FROM trial_events WHERE study_id = ? ORDER BY seq').all(studyId)
        : this.db.prepare('SELECT * FROM trial_events WHERE study_id = ? AND trial_id = ? ORDER BY seq').all(studyId, trialId)
    ) as { trial_id: string; from_state: TrialState; to_state: TrialState; attempt: number; reason: string | null; exit_code: number | null }[];
  }

  // Results

  /** Replaces the study's ingested runs, findings and verdict in one transaction. */
  saveResults(
    studyId: string,
    runs: { trialId: string; runId: string; format: string; path: string }[],
    findings: { code: string; layer: string; severity: string; summary: string; json: string }[],
    verdict: string | null,
    diagnosisJson: string | null,
  ): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM runs WHERE study_id = ?').run(studyId);
      this.db.prepare('DELETE FROM findings WHERE study_id = ?').run(studyId);
      const insertRun = this.db.prepare('INSERT INTO runs (study_id, trial_id, run_id, format, path) VALUES (?, ?, ?, ?, ?)');
      for (const run of runs) insertRun.run(studyId, run.trialId, run.runId, run.format, run.path);
      const insertFinding = this.db.prepare('INSERT INTO findings (study_id, seq, code, layer, severity, summary, finding_json) VALUES (?, ?, ?, ?, ?, ?, ?)');
      findings.forEach((f, i) => insertFinding.run(studyId, i, f.code, f.layer, f.severity, f.summary, f.json));
      this.db.prepare('UPDATE studies SET verdict = ?, diagnosis_json = ?, updated_at = ? WHERE id = ?').run(verdict, diagnosisJson, now(), studyId);
    }).immediate();
  }

  runs(studyId: string): { trial_id: string; run_id: string; format: string; path: string }[] {
    return this.db.prepare('SELECT trial_id, run_id, format, path FROM runs WHERE study_id = ? ORDER BY trial_id, run_id').all(studyId) as {
      trial_id: string;
      run_id: string;
      format: string;
      path: string;
    }[];
  }

  findings(studyId: string): { code: string; layer: string; severity: string; summary: string }[] {
    return this.db.prepare('SELECT code, layer, severity, summary FROM findings WHERE study_id = ? ORDER BY seq').all(studyId) as {
      code: string;
      layer: string;
      severity: string;
      summary: string;
    }[];
  }
}

export function openStore(file: string): Store {
  return new Store(file);
}
