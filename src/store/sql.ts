import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A value bound to a `?` placeholder (both drivers take these; booleans are written as 0/1). */
export type SqlValue = string | number | null;

/**
 * What every store runs its SQL on: SQLite (better-sqlite3, embedded) or PostgreSQL (node-postgres,
 * shared by several processes). The stores write each query ONCE in the SQL both speak: `?`
 * placeholders (turned into $1… for PostgreSQL), `ON CONFLICT (key) DO UPDATE`, `RETURNING`,
 * double-quoted aliases for camelCase names; `dialect` picks the rare spelling that differs.
 */
export interface SqlClient {
  readonly dialect: 'sqlite' | 'pg';
  /** This process's id in the store (rows it owns, e.g. accepted jobs), unique per client. */
  readonly owner: string;
  /**
   * Which of these owners are still running. SQLite: only this client (one process owns the
   * file); PostgreSQL: those holding their liveness lock (released by the server when a process dies).
   */
  liveOwners(owners: readonly string[]): Promise<Set<string>>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a write; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Runs `fn` while no other section of the same key runs, in this process or (PostgreSQL) any
   * other process on the same database: what keeps check → count → accept exact.
   */
  admission<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Whether the database answers now (/healthz); never rejects. */
  ping(): Promise<boolean>;
  /** Connected and migrated (SQLite: at once; PostgreSQL: rejects with a clear error naming the setting). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh owner id: host, process and a random part (two clients of one process differ). */
export const newOwner = () => `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/** The first column of a row (a `SELECT count(*)`-style read). */
export async function value<T>(c: SqlClient, sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
  const row = await c.get<Record<string, unknown>>(sql, params);
  return row ? (Object.values(row)[0] as T) : undefined;
}
