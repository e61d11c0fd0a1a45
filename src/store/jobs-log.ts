import type { DB } from './db.js';

export interface JobLogEntry {
  id: string;
  createdAt: number;
  platform: string;
  userId: string;
  serverId?: string;
  channelId?: string;
  command: string;
  durationMs?: number;
  /** "ok" or the error code. */
  outcome: string;
  model?: string;
  /** Only written when SINAPSIS_LOG_INPUTS is on; never image bytes. */
  inputJson?: string;
}

export class JobsLog {
  private readonly insert;
  constructor(private readonly db: DB) {
    this.insert = db.prepare(
      `INSERT INTO jobs (id, created_at, platform, user_id, server_id, channel_id, command, duration_ms, outcome, model, input_json)
       VALUES (@id, @createdAt, @platform, @userId, @serverId, @channelId, @command, @durationMs, @outcome, @model, @inputJson)`,
    );
  }

  record(e: JobLogEntry): void {
    this.insert.run({ serverId: null, channelId: null, durationMs: null, model: null, inputJson: null, ...e });
  }

  recent(limit = 50): JobLogEntry[] {
    return this.db
      .prepare(
        `SELECT id, created_at AS createdAt, platform, user_id AS userId, server_id AS serverId, channel_id AS channelId,
                command, duration_ms AS durationMs, outcome, model, input_json AS inputJson
         FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      )
      .all(limit) as JobLogEntry[];
  }
}
