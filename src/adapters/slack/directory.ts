import type { WebClient } from '@slack/web-api';
import { langOf, type Lang } from '../../i18n/locale.js';

export interface SlackUser {
  lang: Lang;
  /** Workspace admins and owners, and the users listed in SLACK_ADMIN_USERS, moderate the bot. */
  admin: boolean;
  roles: string[];
}

const TTL_MS = 10 * 60_000;

/**
 * What the bot needs to know about Slack users, cached for ten minutes:
 * locale, admin/owner flags (users.info) and user-group membership
 * (usergroups.list, which needs the usergroups:read scope; without it
 * nobody is in a group, logged every ten minutes).
 */
export class SlackDirectory {
  private readonly users = new Map<string, { at: number; user: SlackUser }>();
  private groups: { at: number; byUser: Map<string, string[]> } | undefined;

  constructor(
    private readonly adminUsers: readonly string[],
    private readonly defaultLang: Lang,
    private readonly warn: (err: unknown) => void,
  ) {}

  async user(client: WebClient, id: string): Promise<SlackUser> {
    const cached = this.users.get(id);
    if (cached && Date.now() - cached.at < TTL_MS) return cached.user;
    const listed = this.adminUsers.includes(id);
    try {
      const info = await client.users.info({ user: id, include_locale: true });
      const u = info.user;
      const roles = [...(u?.is_admin ? ['admin'] : []), ...(u?.is_owner ? ['owner'] : [])];
      const user = {
        lang: langOf(u?.locale, this.defaultLang),
        admin: listed || Boolean(u?.is_admin || u?.is_owner),
        roles,
      };
      this.users.set(id, { at: Date.now(), user });
      return user;
    } catch (err) {
      this.warn(err);
      return { lang: this.defaultLang, admin: listed, roles: [] };
    }
  }

  async groupsOf(client: WebClient, id: string): Promise<string[]> {
    if (!this.groups || Date.now() - this.groups.at > TTL_MS) {
      try {
        const list = await client.usergroups.list({ include_users: true });
        const byUser = new Map<string, string[]>();
        for (const g of list.usergroups ?? [])
          for (const u of g.users ?? []) byUser.set(u, [...(byUser.get(u) ?? []), g.id!]);
        this.groups = { at: Date.now(), byUser };
      } catch (err) {
        // Try again after the TTL; until then nobody is in a group.
        this.groups = { at: Date.now(), byUser: new Map() };
        this.warn(err);
      }
    }
    return this.groups.byUser.get(id) ?? [];
  }
}
