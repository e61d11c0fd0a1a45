import { value, type SqlClient } from './sql.js';

/** Small named values the product keeps between runs (e.g. the hash of the registered commands). */
export class KeyValue {
  constructor(private readonly sql: SqlClient) {}
  async get(key: string): Promise<string | undefined> {
    return (await value<string>(this.sql, 'SELECT value FROM kv WHERE key = ?', [key])) ?? undefined;
  }
  async set(key: string, val: string): Promise<void> {
    await this.sql.run(
      'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, val],
    );
  }
}
