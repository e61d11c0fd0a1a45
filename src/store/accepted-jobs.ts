import type { DB } from './db.js';

/** What re-running an accepted job needs, as plain data (no image bytes). */
export interface AcceptedRequest {
  /** The options as the user gave them (parsed again on re-run). */
  options: Record<string, unknown>;
  lang: string;
  langSource?: 'platform' | 'default';
  model?: string;
  /**
   * Per image option, a reference to fetch it again: the adapter's own (Discord attachment URL,
   * Slack file URL) or `{ file }`, an upload the service kept under the data dir until the job settles (web).
   */
  images?: Record<string, Record<string, unknown>>;
}

/** A job accepted (and counted against quota) but not answered yet. */
export interface AcceptedJob {
  id: string;
  createdAt: number;
  platform: string;
  userId: string;
  /** '' = no server (web, CLI). */
  serverId: string;
  channelId?: string;
  command: string;
  /** The quota day the job was counted on: a refund gives back that day's use. */
  day: string;
  /** Where the answer goes (Discord: application id and interaction token, valid 15 min; Slack: channel and placeholder ts). */
  reply?: Record<string, unknown>;
  /** What a re-run needs; absent on rows written before migration 5. */
  request?: AcceptedRequest;
  /** How many times a restart already took this job up (0 = never). */
  attempts?: number;
}

type Row = Omit<AcceptedJob, 'reply' | 'channelId' | 'request'> & {
  channelId: string | null;
  replyJson: string | null;
  requestJson: string | null;
};

/**
 * Accepted jobs, written at submit and deleted when the job settles. A row still here at start
 * belongs to a process that died (kill -9, power loss): the job never answered, so it is re-run
 * when its reply can still be delivered, or refunded and its user told. Rows live seconds to minutes.
 */
export class AcceptedJobs {
  private readonly q;
  constructor(private readonly db: DB) {
    this.q = {
      add: db.prepare(
        `INSERT OR REPLACE INTO accepted_jobs (id, created_at, platform, user_id, server_id, channel_id, command, day, reply_json, request_json, attempts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      remove: db.prepare('DELETE FROM accepted_jobs WHERE id = ?'),
      attempt: db.prepare('UPDATE accepted_jobs SET attempts = attempts + 1 WHERE id = ?'),
      all: db.prepare(
        `SELECT id, created_at AS createdAt, platform, user_id AS userId, server_id AS serverId, channel_id AS channelId, command, day,
                reply_json AS replyJson, request_json AS requestJson, attempts
         FROM accepted_jobs ORDER BY created_at`,
      ),
    };
  }

  add(j: AcceptedJob): void {
    this.q.add.run(
      j.id,
      j.createdAt,
      j.platform,
      j.userId,
      j.serverId,
      j.channelId ?? null,
      j.command,
      j.day,
      j.reply ? JSON.stringify(j.reply) : null,
      j.request ? JSON.stringify(j.request) : null,
      j.attempts ?? 0,
    );
  }

  remove(id: string): void {
    this.q.remove.run(id);
  }

  /** Every row, oldest first (left in place). */
  all(): AcceptedJob[] {
    return (this.q.all.all() as Row[]).map(({ replyJson, requestJson, channelId, ...r }) => ({
      ...r,
      ...(channelId ? { channelId } : {}),
      ...(replyJson ? { reply: JSON.parse(replyJson) as Record<string, unknown> } : {}),
      ...(requestJson ? { request: JSON.parse(requestJson) as AcceptedRequest } : {}),
    }));
  }

  /** Counts one more recovery of the job, durably, before it is re-run. */
  markAttempt(id: string): void {
    this.q.attempt.run(id);
  }

  /** Takes every row out (in one transaction) and returns them. */
  drain(): AcceptedJob[] {
    return this.db.transaction(() => {
      const rows = this.all();
      this.db.exec('DELETE FROM accepted_jobs');
      return rows;
    })();
  }
}
