import type { SqlClient } from './sql.js';

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
  constructor(private readonly sql: SqlClient) {}

  async add(j: AcceptedJob): Promise<void> {
    await this.sql.run(
      `INSERT INTO accepted_jobs (id, created_at, platform, user_id, server_id, channel_id, command, day, reply_json, request_json, attempts, owner)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, platform = excluded.platform, user_id = excluded.user_id,
         server_id = excluded.server_id, channel_id = excluded.channel_id, command = excluded.command, day = excluded.day,
         reply_json = excluded.reply_json, request_json = excluded.request_json, attempts = excluded.attempts, owner = excluded.owner`,
      [
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
        this.sql.owner,
      ],
    );
  }

  async remove(id: string): Promise<void> {
    await this.sql.run('DELETE FROM accepted_jobs WHERE id = ?', [id]);
  }

  /** Every row, oldest first (left in place). */
  async all(): Promise<AcceptedJob[]> {
    return toJobs(await this.sql.all<Row>(`SELECT ${COLUMNS} FROM accepted_jobs ORDER BY created_at`));
  }

  /**
   * The rows of processes that are gone (killed, crashed), taken over by this one, oldest first.
   * Each is claimed with a conditional write: two processes starting at once never both take a job.
   */
  async claimOrphans(): Promise<AcceptedJob[]> {
    const rows = await this.sql.all<Row & { owner: string | null }>(
      `SELECT ${COLUMNS}, owner FROM accepted_jobs ORDER BY created_at`,
    );
    const live = await this.sql.liveOwners([...new Set(rows.map((r) => r.owner ?? ''))]);
    const claimed: Row[] = [];
    for (const { owner, ...r } of rows) {
      if (owner !== null && live.has(owner)) continue;
      const taken = await this.sql.run(`UPDATE accepted_jobs SET owner = ? WHERE id = ? AND COALESCE(owner, '') = ?`, [
        this.sql.owner,
        r.id,
        owner ?? '',
      ]);
      if (taken === 1) claimed.push(r);
    }
    return toJobs(claimed);
  }

  /** Counts one more recovery of the job, durably, before it is re-run. */
  async markAttempt(id: string): Promise<void> {
    await this.sql.run('UPDATE accepted_jobs SET attempts = attempts + 1 WHERE id = ?', [id]);
  }

  /** Takes every row out (one statement, so nothing added meanwhile is lost) and returns them, oldest first. */
  async drain(): Promise<AcceptedJob[]> {
    const rows = await this.sql.all<Row>(`DELETE FROM accepted_jobs RETURNING ${COLUMNS}`);
    return toJobs(rows.sort((a, b) => a.createdAt - b.createdAt));
  }
}

const COLUMNS = `id, created_at AS "createdAt", platform, user_id AS "userId", server_id AS "serverId", channel_id AS "channelId",
  command, day, reply_json AS "replyJson", request_json AS "requestJson", attempts`;

const toJobs = (rows: Row[]): AcceptedJob[] =>
  rows.map(({ replyJson, requestJson, channelId, ...r }) => ({
    ...r,
    ...(channelId ? { channelId } : {}),
    ...(replyJson ? { reply: JSON.parse(replyJson) as Record<string, unknown> } : {}),
    ...(requestJson ? { request: JSON.parse(requestJson) as AcceptedRequest } : {}),
  }));
