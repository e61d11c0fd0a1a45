import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type DB = Database.Database;

/**
 * Versioned migrations, applied in order inside one transaction each; the
 * applied version is SQLite's user_version, so an upgrade keeps all data.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     created_at INTEGER NOT NULL,
     platform TEXT NOT NULL,
     user_id TEXT NOT NULL,
     server_id TEXT,
     channel_id TEXT,
     command TEXT NOT NULL,
     duration_ms REAL,
     outcome TEXT NOT NULL,
     model TEXT,
     input_json TEXT
   );
   CREATE INDEX jobs_created ON jobs(created_at);
   CREATE TABLE command_switches (
     command TEXT PRIMARY KEY,
     enabled INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );`,
  // 2: what chat buttons need to act later ("again", "blur", "explain"), surviving restarts.
  `CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE interaction_state (
     id TEXT PRIMARY KEY,
     platform TEXT NOT NULL,
     user_id TEXT NOT NULL,
     command TEXT NOT NULL,
     options_json TEXT NOT NULL,
     image_url TEXT,
     model TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX interaction_state_created ON interaction_state(created_at);`,
];

export function openDatabase(dataDir: string, file = 'sinapsis.db'): DB {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, file));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function migrate(db: DB): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return MIGRATIONS.length;
}
