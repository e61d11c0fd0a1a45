import type { DB } from './db.js';

/** Small named values the product keeps between runs (e.g. the hash of the registered commands). */
export class KeyValue {
  constructor(private readonly db: DB) {}
  get(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM kv WHERE key = ?').pluck().get(key) as string | undefined) ?? undefined;
  }
  set(key: string, value: string): void {
    this.db
      .prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }
}
