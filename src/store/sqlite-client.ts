import type Database from 'better-sqlite3';
import { KeyedLock } from '../core/keyed-lock.js';
import type { DB } from './db.js';
import { newOwner, type SqlClient, type SqlValue } from './sql.js';

/**
 * The embedded driver: better-sqlite3 runs each statement synchronously and the result is
 * wrapped in a Promise (a write has happened by the time the call returns; a throw becomes a
 * rejection, as a networked driver's would). One process owns the file, so admission is an
 * in-process lock.
 */
export class SqliteClient implements SqlClient {
  readonly dialect = 'sqlite' as const;
  readonly owner = newOwner();
  private readonly statements = new Map<string, Database.Statement>();
  private readonly admitting = new KeyedLock();

  constructor(readonly db: DB) {}

  private prepare(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private call<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.call(() => this.prepare(sql).all(...params) as T[]);
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.call(() => this.prepare(sql).get(...params) as T | undefined);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.call(() => this.prepare(sql).run(...params).changes);
  }

  admission<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.admitting.run(key, fn);
  }

  async liveOwners(owners: readonly string[]): Promise<Set<string>> {
    return new Set(owners.filter((o) => o === this.owner));
  }

  ping(): Promise<boolean> {
    return this.get('SELECT 1').then(
      () => true,
      () => false,
    );
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
