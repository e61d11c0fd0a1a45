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
export type KeyValueStore = Promised<Pick<KeyValue, 'get' | 'set'>>;

/** `T`'s methods answering with a Promise: the shape a networked backend (PostgreSQL) can implement. */
export type Promised<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/**
 * The methods of a synchronous store as Promises. The call runs synchronously (better-sqlite3)
 * and its result is wrapped: a write has happened by the time the call returns, and a throw
 * becomes a rejection, as a networked driver's would.
 */
export function promised<T extends object, K extends keyof T>(target: T, methods: readonly K[]): Promised<Pick<T, K>> {
  const out = {} as Record<K, unknown>;
  for (const m of methods) {
    const fn = target[m] as (...args: unknown[]) => unknown;
    out[m] = (...args: unknown[]) => {
      try {
        return Promise.resolve(fn.apply(target, args));
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
  return out as Promised<Pick<T, K>>;
}

/** Every read and write of the moderators' data, async (the SQLite one wraps `Rules`). */
export type RulesStore = Promised<Omit<Rules, 'transaction'>>;

const RULES_METHODS = [
  'switchesFor',
  'switchAt',
  'setSwitch',
  'serverSwitches',
  'rolesFor',
  'roleAt',
  'setRole',
  'serverRoles',
  'limitsFor',
  'limitsAt',
  'setLimits',
  'serverLimits',
  'language',
  'setLanguage',
  'usage',
  'lastUse',
  'use',
  'refund',
  'usageByCommand',
  'audit',
  'recentAudit',
  'pruneAudit',
] as const satisfies readonly (keyof RulesStore)[];

/** The async rules store over a SQLite database or a `Rules` on one. */
export function sqliteRules(store: DB | Rules): RulesStore {
  return promised(store instanceof Rules ? store : new Rules(store), RULES_METHODS);
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
  /** The moderators' data the gate reads (async: a shared backend answers over the network). */
  rules: RulesStore;
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
    kv: promised(new KeyValue(db), ['get', 'set']),
    jobsLog: new JobsLog(db, { retentionDays: opts.jobsRetentionDays, onError: opts.onJobsLogError }),
    accepted: new AcceptedJobs(db),
    rules: sqliteRules(db),
  };
}
