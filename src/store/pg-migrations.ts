/**
 * PostgreSQL's own migration history (SQLite's is db.ts): the same tables and column names, so
 * one set of queries serves both. Timestamps are BIGINT (milliseconds), read back as numbers;
 * fractions are DOUBLE PRECISION (PostgreSQL's REAL would round 0.3 to 0.30000001).
 * Applied in order at start under an advisory lock; each version is a row of sinapsis_migrations.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     seq BIGSERIAL,
     created_at BIGINT NOT NULL,
     platform TEXT NOT NULL,
     user_id TEXT NOT NULL,
     server_id TEXT,
     channel_id TEXT,
     command TEXT NOT NULL,
     duration_ms DOUBLE PRECISION,
     outcome TEXT NOT NULL,
     model TEXT,
     input_json TEXT
   );
   CREATE INDEX jobs_created ON jobs(created_at);
   CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE interaction_state (
     id TEXT PRIMARY KEY,
     platform TEXT NOT NULL,
     user_id TEXT NOT NULL,
     command TEXT NOT NULL,
     options_json TEXT NOT NULL,
     image_url TEXT,
     model TEXT,
     created_at BIGINT NOT NULL
   );
   CREATE INDEX interaction_state_created ON interaction_state(created_at);
   CREATE TABLE switches (
     server_id TEXT NOT NULL,
     channel_id TEXT NOT NULL,
     command TEXT NOT NULL,
     enabled INTEGER NOT NULL,
     updated_at BIGINT NOT NULL,
     updated_by TEXT NOT NULL,
     PRIMARY KEY (server_id, channel_id, command)
   );
   CREATE TABLE role_rules (
     server_id TEXT NOT NULL,
     command TEXT NOT NULL,
     role_id TEXT NOT NULL,
     allow INTEGER NOT NULL,
     updated_at BIGINT NOT NULL,
     updated_by TEXT NOT NULL,
     PRIMARY KEY (server_id, command, role_id)
   );
   CREATE TABLE limits (
     server_id TEXT NOT NULL,
     command TEXT NOT NULL,
     cooldown_s INTEGER,
     daily_quota INTEGER,
     queue_share DOUBLE PRECISION,
     updated_at BIGINT NOT NULL,
     updated_by TEXT NOT NULL,
     PRIMARY KEY (server_id, command)
   );
   CREATE TABLE server_settings (
     server_id TEXT PRIMARY KEY,
     language TEXT,
     updated_at BIGINT NOT NULL,
     updated_by TEXT NOT NULL
   );
   CREATE TABLE usage (
     server_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     command TEXT NOT NULL,
     day TEXT NOT NULL,
     count INTEGER NOT NULL,
     last_at BIGINT NOT NULL,
     PRIMARY KEY (server_id, user_id, command, day)
   );
   CREATE TABLE audit (
     id BIGSERIAL PRIMARY KEY,
     at BIGINT NOT NULL,
     server_id TEXT NOT NULL,
     channel_id TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     command TEXT,
     before TEXT,
     after TEXT
   );
   CREATE INDEX audit_server_at ON audit(server_id, at);
   CREATE INDEX audit_at ON audit(at);
   CREATE TABLE accepted_jobs (
     id TEXT PRIMARY KEY,
     created_at BIGINT NOT NULL,
     platform TEXT NOT NULL,
     user_id TEXT NOT NULL,
     server_id TEXT NOT NULL,
     channel_id TEXT,
     command TEXT NOT NULL,
     day TEXT NOT NULL,
     reply_json TEXT,
     request_json TEXT,
     attempts INTEGER NOT NULL DEFAULT 0
   );`,
  // 2: which process accepted the job (a starting process recovers only those of processes that are gone).
  `ALTER TABLE accepted_jobs ADD COLUMN owner TEXT;`,
];
