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
  // 3: moderators' controls. Scopes use '' for "everywhere" (server) or "whole server" (channel),
  // and '*' for "every command"; the old global switches become server '' rules.
  `CREATE TABLE switches (
     server_id TEXT NOT NULL,
     channel_id TEXT NOT NULL,
     command TEXT NOT NULL,
     enabled INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     updated_by TEXT NOT NULL,
     PRIMARY KEY (server_id, channel_id, command)
   ) WITHOUT ROWID;
   INSERT INTO switches SELECT '', '', command, enabled, updated_at, 'migration' FROM command_switches;
   DROP TABLE command_switches;
   CREATE TABLE role_rules (
     server_id TEXT NOT NULL,
     command TEXT NOT NULL,
     role_id TEXT NOT NULL,
     allow INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     updated_by TEXT NOT NULL,
     PRIMARY KEY (server_id, command, role_id)
   ) WITHOUT ROWID;
   CREATE TABLE limits (
     server_id TEXT NOT NULL,
     command TEXT NOT NULL,
     cooldown_s INTEGER,
     daily_quota INTEGER,
     queue_share REAL,
     updated_at INTEGER NOT NULL,
     updated_by TEXT NOT NULL,
     PRIMARY KEY (server_id, command)
   ) WITHOUT ROWID;
   CREATE TABLE server_settings (
     server_id TEXT PRIMARY KEY,
     language TEXT,
     updated_at INTEGER NOT NULL,
     updated_by TEXT NOT NULL
   );
   CREATE TABLE usage (
     server_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     command TEXT NOT NULL,
     day TEXT NOT NULL,
     count INTEGER NOT NULL,
     last_at INTEGER NOT NULL,
     PRIMARY KEY (server_id, user_id, command, day)
   ) WITHOUT ROWID;
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     server_id TEXT NOT NULL,
     channel_id TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     command TEXT,
     before TEXT,
     after TEXT
   );
   CREATE INDEX audit_server_at ON audit(server_id, at);
   CREATE INDEX audit_at ON audit(at);`,
  // 4: jobs accepted but not answered yet, so a crash can refund and tell their users on restart.
  `CREATE TABLE accepted_jobs (
     id TEXT PRIMARY KEY,
     created_at INTEGER NOT NULL,
     platform TEXT NOT NULL,
     user_id TEXT NOT NULL,
     server_id TEXT NOT NULL,
     channel_id TEXT,
     command TEXT NOT NULL,
     day TEXT NOT NULL,
     reply_json TEXT
   );`,
  // 5: what a re-run needs after a crash (command options, language, image *references*; never
  // image bytes) and how many times the job was already recovered (a job that crashes the process
  // is re-run once, not at every start).
  `ALTER TABLE accepted_jobs ADD COLUMN request_json TEXT;
   ALTER TABLE accepted_jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;`,
  // 6: which process accepted the job: with a store shared by several processes (PostgreSQL has
  // the same column), a starting process recovers only the jobs of processes that are gone.
  `ALTER TABLE accepted_jobs ADD COLUMN owner TEXT;`,
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
