import type { DB } from './db.js';
import { AcceptedJobs } from './accepted-jobs.js';
import { InteractionStates, type InteractionState } from './interaction-state.js';
import { JobsLog } from './jobs-log.js';
import { KeyValue } from './kv.js';
import { Rules } from './rules.js';

/** What a result's buttons need after a restart (see interaction-state.ts for the SQLite one). */
export interface InteractionStateStore {
  readonly ttlMs: number;
  /** Never throws: a failing store gives an id that answers "expired" later. */
  save(s: Omit<InteractionState, 'id' | 'createdAt'>, now?: number): string;
  get(id: string, now?: number): InteractionState | undefined;
  purge(now?: number): number;
}

/** Small named values kept between runs (the hash of the registered commands, the cookie secret). */
export interface KeyValueStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

/**
 * Every store the product keeps, built once by `createApp` and handed to the service and the
 * adapters, so none of them opens or names the database: a different backend (a shared one
 * for several worker processes) replaces this bundle and nothing else.
 */
export interface Stores {
  interactions: InteractionStateStore;
  kv: KeyValueStore;
  /** One row per request and outcome (not the process logger). */
  jobsLog: JobsLog;
  /** Accepted, unanswered jobs (refunded and reported after a crash). */
  accepted: AcceptedJobs;
  /** The moderators' data the gate reads. */
  rules: Rules;
}

export interface SqliteStoresOptions {
  jobsRetentionDays?: number;
  /** A failed write of the jobs log (full disk): logged, the request is answered anyway. */
  onJobsLogError?: (err: unknown) => void;
}

/** The stores on one SQLite database (better-sqlite3). */
export function sqliteStores(db: DB, opts: SqliteStoresOptions = {}): Stores {
  return {
    interactions: new InteractionStates(db),
    kv: new KeyValue(db),
    jobsLog: new JobsLog(db, { retentionDays: opts.jobsRetentionDays, onError: opts.onJobsLogError }),
    accepted: new AcceptedJobs(db),
    rules: new Rules(db),
  };
}
