import { randomBytes } from 'node:crypto';
import type { SqlClient } from './sql.js';

export interface InteractionState {
  id: string;
  platform: string;
  userId: string;
  command: string;
  options: Record<string, unknown>;
  /** The platform's URL of the user's image, fetched again when a button re-runs the command. */
  imageUrl?: string;
  model?: string;
  createdAt: number;
}

/**
 * What a result's buttons need after a restart. Rows live for `ttlMs`
 * (platform file URLs expire too); a button pointing at a gone row says so.
 */
export class InteractionStates {
  constructor(
    private readonly sql: SqlClient,
    readonly ttlMs = 24 * 3600 * 1000,
  ) {}

  /**
   * Never throws: with the store failing (full disk) the result still goes out, and its
   * buttons answer "expired" when pressed instead of the whole reply being lost.
   */
  async save(s: Omit<InteractionState, 'id' | 'createdAt'>, now = Date.now()): Promise<string> {
    const id = randomBytes(9).toString('base64url');
    try {
      await this.sql.run(
        `INSERT INTO interaction_state (id, platform, user_id, command, options_json, image_url, model, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, s.platform, s.userId, s.command, JSON.stringify(s.options), s.imageUrl ?? null, s.model ?? null, now],
      );
    } catch {
      // The id points at nothing: pressing a button says it expired.
    }
    return id;
  }

  async get(id: string, now = Date.now()): Promise<InteractionState | undefined> {
    const row = await this.sql.get<Record<string, unknown>>('SELECT * FROM interaction_state WHERE id = ?', [id]);
    if (!row || now - Number(row.created_at) > this.ttlMs) return undefined;
    return {
      id,
      platform: String(row.platform),
      userId: String(row.user_id),
      command: String(row.command),
      options: JSON.parse(String(row.options_json)),
      imageUrl: (row.image_url as string | null) ?? undefined,
      model: (row.model as string | null) ?? undefined,
      createdAt: Number(row.created_at),
    };
  }

  purge(now = Date.now()): Promise<number> {
    return this.sql.run('DELETE FROM interaction_state WHERE created_at < ?', [now - this.ttlMs]);
  }
}
