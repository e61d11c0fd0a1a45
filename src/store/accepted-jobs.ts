import type { DB } from './db.js';

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
  /** What the adapter needs to answer later (Discord: the interaction token, valid 15 min). */
  reply?: Record<string, unknown>;
}

/**
 * Accepted jobs, written at submit and deleted when the job settles. A row still here at start
 * belongs to a process that died (kill -9, power loss): the job never answered, so it is refunded
 * and its user told. Rows live seconds to minutes; nothing about the input is kept.
 */
export class AcceptedJobs {
  private readonly q;
  constructor(private readonly db: DB) {
    this.q = {
      add: db.prepare(
        `INSERT OR REPLACE INTO accepted_jobs (id, created_at, platform, user_id, server_id, channel_id, command, day, reply_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      remove: db.prepare('DELETE FROM accepted_jobs WHERE id = ?'),
      all: db.prepare(
        `SELECT id, created_at AS createdAt, platform, user_id AS userId, server_id AS serverId, channel_id AS channelId, command, day, reply_json AS replyJson
         FROM accepted_jobs ORDER BY created_at`,
      ),
    };
  }

  add(j: AcceptedJob): void {
    this.q.add.run(j.id, j.createdAt, j.platform, j.userId, j.serverId, j.channelId ?? null, j.command, j.day, j.reply ? JSON.stringify(j.reply) : null);
  }

  remove(id: string): void {
    this.q.remove.run(id);
  }

  /** Takes every row out (in one transaction) and returns them. */
  drain(): AcceptedJob[] {
    return this.db.transaction(() => {
      const rows = this.q.all.all() as (Omit<AcceptedJob, 'reply' | 'channelId'> & { channelId: string | null; replyJson: string | null })[];
      this.db.exec('DELETE FROM accepted_jobs');
      return rows.map(({ replyJson, channelId, ...r }) => ({ ...r, ...(channelId ? { channelId } : {}), ...(replyJson ? { reply: JSON.parse(replyJson) as Record<string, unknown> } : {}) }));
    })();
  }
}
