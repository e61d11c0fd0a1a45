import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { KeyedLock } from '../core/keyed-lock.js';
import { SinapsisError } from '../errors.js';
import { PG_MIGRATIONS } from './pg-migrations.js';
import { newOwner, type SqlClient, type SqlValue } from './sql.js';

export interface PgClientOptions {
  /** postgres://user@host:port/db (SINAPSIS_DATABASE_URL). */
  url: string;
  /** Connections per process (SINAPSIS_DATABASE_POOL_SIZE). */
  poolSize?: number;
  /** Tables live in this schema (created if missing): tests give each file its own. */
  schema?: string;
  /** How long a request waits for a connection before the store counts as unreachable. */
  connectTimeoutMs?: number;
  /** A connection lost while idle (PostgreSQL restarted): logged, the pool reconnects on next use. */
  onIdleError?: (err: Error) => void;
}

/** PostgreSQL could not be reached or migrated at start: says which setting to check, without a password. */
export class StoreUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(
      `Cannot use the PostgreSQL store at SINAPSIS_DATABASE_URL=${redact(url)}: ${describe(cause)}. ` +
        'Check that PostgreSQL is running and that the URL (host, port, user, database) is right.',
      { cause },
    );
    this.name = 'StoreUnreachableError';
  }
}

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
const describe = (err: unknown) => {
  const e = err as { code?: string; message?: string; errors?: { message?: string }[] };
  // Node's AggregateError (IPv4 and IPv6 both refused) has an empty message.
  const message = e.message || e.errors?.map((x) => x.message).join('; ') || String(err);
  return e.code && !message.includes(e.code) ? `${e.code} ${message}` : message;
};

/** SQLSTATE classes that mean the server or the connection went away, not that the query was wrong. */
const LOST = /^(08|57P|53)/;
const LOST_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);

/** Whether an error means "PostgreSQL is unreachable" (refuse with store_unavailable) rather than a bug. */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof SinapsisError) return err.code === 'store_unavailable';
  if (err instanceof StoreUnreachableError) return true;
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  if (typeof e?.code === 'string' && (LOST_CODES.has(e.code) || (e.code.length === 5 && LOST.test(e.code))))
    return true;
  if (Array.isArray(e?.errors)) return e.errors.some(isConnectionError);
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
    e?.message ?? '',
  );
}

const unavailable = (err: unknown) =>
  isConnectionError(err) && !(err instanceof SinapsisError)
    ? new SinapsisError('store_unavailable', {}, { cause: err })
    : err;

/** A signed 64-bit advisory-lock key for a name (pg_advisory_lock takes a bigint). */
export const lockKey = (name: string) => createHash('sha256').update(name).digest().readBigInt64BE(0).toString();

/** pg_locks' classid:objid of a bigint advisory key. */
const lockIds = (key: string) => {
  const k = BigInt.asUintN(64, BigInt(key));
  return `${k >> 32n}:${k & 0xffffffffn}`;
};

/** int8 (counts, BIGINT milliseconds, BIGSERIAL ids) and numeric (sums) come back as numbers, as SQLite's do. */
const TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 || oid === 1700 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as never,
};

/**
 * The scale-out driver: a node-postgres pool shared by the stores of one process, while several
 * processes share the database. Admission holds one connection and a session advisory lock per
 * server key: every query of the section (found through AsyncLocalStorage) runs on that
 * connection, so a process never waits for a second connection while holding the lock.
 */
export class PgClient implements SqlClient {
  readonly dialect = 'pg' as const;
  readonly owner = newOwner();
  readonly pool: pg.Pool;
  private readonly config: pg.PoolConfig;
  /** Holds this process's liveness lock for as long as it runs (see liveOwners). */
  private liveness?: pg.Client;
  private closed = false;
  private readonly texts = new Map<string, string>();
  private readonly local = new KeyedLock();
  private readonly held = new AsyncLocalStorage<{ client: pg.PoolClient; active: boolean }>();
  private migrated?: Promise<void>;

  constructor(private readonly opts: PgClientOptions) {
    this.config = {
      connectionString: opts.url,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
      types: TYPES,
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    };
    this.pool = new pg.Pool({ ...this.config, max: opts.poolSize ?? 10 });
    // Without a listener an idle connection that dies (PostgreSQL restarted) would crash the process.
    this.pool.on('error', (err) => opts.onIdleError?.(err));
  }

  /** `?` → `$1, $2…` (the stores' SQL has no `?` inside literals). */
  private text(sql: string): string {
    let t = this.texts.get(sql);
    if (t === undefined) {
      let n = 0;
      t = sql.replace(/\?/g, () => `$${++n}`);
      this.texts.set(sql, t);
    }
    return t;
  }

  private async query<T>(sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult & { rows: T[] }> {
    const h = this.held.getStore();
    try {
      if (h?.active) return await h.client.query(this.text(sql), params as SqlValue[]);
      await this.ready();
      return await this.pool.query(this.text(sql), params as SqlValue[]);
    } catch (err) {
      throw unavailable(err);
    }
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.query<T>(sql, params)).rows;
  }

  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params)).rows[0];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }

  /**
   * One section per key across every process on this database: the in-process lock first (a
   * process holds at most one connection per key), then pg_advisory_lock on a dedicated
   * connection. A connection that dies mid-section releases the lock with it (session lock).
   */
  admission<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.local.run(key, async () => {
      let client: pg.PoolClient;
      try {
        await this.ready();
        client = await this.pool.connect();
      } catch (err) {
        throw unavailable(err);
      }
      // A checked-out connection that dies between queries emits 'error': handled, not a crash.
      let lost: Error | undefined;
      const onError = (err: Error) => {
        lost = err;
      };
      client.on('error', onError);
      const holder = { client, active: true };
      const k = lockKey(`sinapsis:admission:${key}`);
      try {
        try {
          await client.query('SELECT pg_advisory_lock($1::bigint)', [k]);
        } catch (err) {
          throw unavailable(err);
        }
        return await this.held.run(holder, fn);
      } finally {
        holder.active = false;
        // A lost connection is destroyed (its session, and the lock with it, ended), never reused.
        const broken =
          lost ??
          (await client.query('SELECT pg_advisory_unlock($1::bigint)', [k]).then(
            () => undefined,
            (err: Error) => err,
          ));
        client.off('error', onError);
        client.release(broken);
      }
    });
  }

  /**
   * A session advisory lock per process, on its own connection: PostgreSQL releases it when the
   * process dies, so another process can tell which accepted jobs were orphaned by a crash.
   * A lost connection takes the lock again every few seconds until it is back.
   */
  private async holdLiveness(): Promise<void> {
    if (this.closed || this.liveness) return;
    const c = new pg.Client(this.config);
    let retried = false;
    const retry = () => {
      if (retried) return;
      retried = true;
      if (this.liveness === c) this.liveness = undefined;
      void c.end().catch(() => undefined);
      if (!this.closed) setTimeout(() => void this.holdLiveness().catch(retry), 5_000).unref();
    };
    c.on('error', retry);
    c.on('end', retry);
    await c.connect();
    await c.query('SELECT pg_advisory_lock($1::bigint)', [lockKey(`sinapsis:owner:${this.owner}`)]);
    this.liveness = c;
  }

  async liveOwners(owners: readonly string[]): Promise<Set<string>> {
    const byKey = new Map(owners.map((o) => [lockIds(lockKey(`sinapsis:owner:${o}`)), o]));
    // A bigint advisory key shows in pg_locks as classid (high half), objid (low half), objsubid 1.
    const rows = await this.all<{ k: string }>(
      `SELECT classid::text || ':' || objid::text AS k FROM pg_locks
       WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    const live = new Set(rows.map((r) => byKey.get(r.k)).filter((o): o is string => o !== undefined));
    if (owners.includes(this.owner)) live.add(this.owner);
    return live;
  }

  ping(): Promise<boolean> {
    return this.get('SELECT 1').then(
      () => true,
      () => false,
    );
  }

  /**
   * Connects and applies the migrations once. Two processes starting at once take turns under an
   * advisory lock; a failure is not remembered (the next call tries again).
   */
  ready(): Promise<void> {
    this.migrated ??= this.migrate()
      .then(() => this.holdLiveness())
      .catch((err) => {
        this.migrated = undefined;
        throw new StoreUnreachableError(this.opts.url, err);
      });
    return this.migrated;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    const onError = () => undefined;
    client.on('error', onError);
    const k = lockKey(`sinapsis:migrate:${this.opts.schema ?? ''}`);
    let broken: Error | undefined;
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [k]);
      if (this.opts.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.opts.schema.replace(/"/g, '')}"`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS sinapsis_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
      );
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM sinapsis_migrations');
      for (let v = rows[0]?.v ?? 0; v < PG_MIGRATIONS.length; v++) {
        await client.query('BEGIN');
        try {
          await client.query(PG_MIGRATIONS[v]!);
          await client.query('INSERT INTO sinapsis_migrations VALUES ($1, $2)', [v + 1, Date.now()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [k]);
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.liveness?.end().catch(() => undefined);
    await this.pool.end();
  }
}
