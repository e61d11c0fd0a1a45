import type { SqlClient } from './sql.js';

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

export interface StoreHealth {
  ok: boolean;
  /** Writes that failed since start (full disk, read-only file); the requests were answered anyway. */
  failedWrites: number;
  lastError?: string;
}

const DAY = 24 * 3600_000;
const HEALTH_WINDOW_MS = 5 * 60_000;

/**
 * The jobs log. A failed write (full disk) never fails the request it describes: it is counted
 * and reported by `/healthz` instead. Rows older than the retention period are pruned hourly.
 */
export class JobsLog {
  private lastPrune = 0;
  private failedWrites = 0;
  private lastFailure?: { at: number; error: string };

  constructor(
    private readonly sql: SqlClient,
    private readonly opts: { retentionDays?: number; now?: () => number; onError?: (err: unknown) => void } = {},
  ) {}

  /** Never rejects: resolves to whether the row was written. */
  record(e: JobLogEntry): Promise<boolean> {
    return this.guarded(async () => {
      await this.sql.run(
        `INSERT INTO jobs (id, created_at, platform, user_id, server_id, channel_id, command, duration_ms, outcome, model, input_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          e.id,
          e.createdAt,
          e.platform,
          e.userId,
          e.serverId ?? null,
          e.channelId ?? null,
          e.command,
          e.durationMs ?? null,
          e.outcome,
          e.model ?? null,
          e.inputJson ?? null,
        ],
      );
      const now = (this.opts.now ?? Date.now)();
      if (now - this.lastPrune > 3600_000) await this.pruneOld(now);
    });
  }

  /** Deletes rows past the retention period; returns how many. */
  pruneOld(now = (this.opts.now ?? Date.now)()): Promise<number> {
    this.lastPrune = now;
    return this.sql.run('DELETE FROM jobs WHERE created_at < ?', [now - (this.opts.retentionDays ?? 90) * DAY]);
  }

  /**
   * Runs a store write for a side record (log, bookkeeping, a refund): a failure (full disk,
   * PostgreSQL gone) is counted for /healthz, never thrown, so the request is answered anyway.
   */
  async guarded(write: () => unknown): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      this.failedWrites++;
      this.lastFailure = { at: (this.opts.now ?? Date.now)(), error: String((err as Error).message ?? err) };
      this.opts.onError?.(err);
      return false;
    }
  }

  /** Unhealthy while writes failed in the last few minutes: a full disk rarely fails every single write. */
  health(): StoreHealth {
    const recent = this.lastFailure && (this.opts.now ?? Date.now)() - this.lastFailure.at < HEALTH_WINDOW_MS;
    return {
      ok: !recent,
      failedWrites: this.failedWrites,
      ...(this.lastFailure ? { lastError: this.lastFailure.error } : {}),
    };
  }

  recent(limit = 50): Promise<JobLogEntry[]> {
    // Rows of one millisecond keep their insertion order: SQLite's rowid, PostgreSQL's seq column.
    const order = this.sql.dialect === 'pg' ? 'seq' : 'rowid';
    return this.sql.all<JobLogEntry>(
      `SELECT id, created_at AS "createdAt", platform, user_id AS "userId", server_id AS "serverId", channel_id AS "channelId",
              command, duration_ms AS "durationMs", outcome, model, input_json AS "inputJson"
       FROM jobs ORDER BY created_at DESC, ${order} DESC LIMIT ?`,
      [limit],
    );
  }
}
