import type { DB } from './db.js';
import { AcceptedJobs } from './accepted-jobs.js';
import { InteractionStates, type InteractionState } from './interaction-state.js';
import { JobsLog } from './jobs-log.js';
import { KeyValue } from './kv.js';
import { PgClient, type PgClientOptions } from './pg-client.js';
import { Rules } from './rules.js';
import type { SqlClient } from './sql.js';
import { SqliteClient } from './sqlite-client.js';

/** What a result's buttons need after a restart. */
export interface InteractionStateStore {
  readonly ttlMs: number;
  /** Never rejects: a failing store gives an id that answers "expired" later. */
  save(s: Omit<InteractionState, 'id' | 'createdAt'>, now?: number): Promise<string>;
  get(id: string, now?: number): Promise<InteractionState | undefined>;
  purge(now?: number): Promise<number>;
}

/** Small named values kept between runs (the hash of the registered commands, the cookie secret). */
export type KeyValueStore = Pick<KeyValue, 'get' | 'set'>;

/** Every read and write of the moderators' data (switches, roles, limits, usage, audit), async. */
export type RulesStore = Pick<Rules, keyof Rules>;

/**
 * Every store the product keeps, built once by `createApp` and handed to the service and the
 * adapters, so none of them opens or names the database. Every method is async and the same
 * for both drivers: SQLite (embedded default) and PostgreSQL (SINAPSIS_DATABASE_URL, shared by
 * several processes).
 */
export interface Stores {
  readonly driver: 'sqlite' | 'pg';
  interactions: InteractionStateStore;
  kv: KeyValueStore;
  /** One row per request and outcome (not the process logger); also counts failed side writes for /healthz. */
  jobsLog: JobsLog;
  /** Accepted, unanswered jobs (refunded and reported after a crash). */
  accepted: AcceptedJobs;
  /** The moderators' data the gate reads. */
  rules: RulesStore;
  /**
   * Runs `fn` while no other admission of `key` (a server) runs, in any process sharing this
   * store: SQLite an in-process lock, PostgreSQL an advisory lock held on one connection, which
   * every store call made inside `fn` uses.
   */
  admission<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Whether the database answers now (/healthz); never rejects. */
  ping(): Promise<boolean>;
  /** Connected and migrated; PostgreSQL rejects with an error naming SINAPSIS_DATABASE_URL. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface StoresOptions {
  jobsRetentionDays?: number;
  /** A failed write of the jobs log (full disk, database gone): logged, the request is answered anyway. */
  onJobsLogError?: (err: unknown) => void;
}

/** The stores over any SQL driver: each query is written once (see sql.ts). */
export function storesOn(sql: SqlClient, opts: StoresOptions = {}): Stores {
  return {
    driver: sql.dialect,
    interactions: new InteractionStates(sql),
    kv: new KeyValue(sql),
    jobsLog: new JobsLog(sql, { retentionDays: opts.jobsRetentionDays, onError: opts.onJobsLogError }),
    accepted: new AcceptedJobs(sql),
    rules: new Rules(sql),
    admission: (key, fn) => sql.admission(key, fn),
    ping: () => sql.ping(),
    ready: () => sql.ready(),
    close: () => sql.close(),
  };
}

/** The stores on one SQLite database (better-sqlite3), the embedded default. */
export function sqliteStores(db: DB, opts: StoresOptions = {}): Stores {
  return storesOn(new SqliteClient(db), opts);
}

/** The stores on PostgreSQL; nothing connects until `ready()` or the first call. */
export function pgStores(pg: PgClientOptions, opts: StoresOptions = {}): Stores {
  return storesOn(new PgClient(pg), opts);
}

/** The rules store over a SQLite database (tests and benches that only need the gate's data). */
export function sqliteRules(db: DB): RulesStore {
  return new Rules(new SqliteClient(db));
}
