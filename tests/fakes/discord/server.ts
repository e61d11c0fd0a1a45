// A small fake of the Discord API on 127.0.0.1: REST (gateway/bot, users/@me,
// command bulk overwrite, interaction callbacks, webhook edits/follow-ups/deletes),
// a CDN for attachments, and a gateway websocket (HELLO, IDENTIFY → READY,
// heartbeats, GUILD_CREATE, INTERACTION_CREATE). Enough for the real discord.js client.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { CallRecorder, closeLoopback, listenLoopback, readBody } from '../recorder.js';

export interface RecordedCall {
  at: number;
  method: string;
  path: string;
  /** JSON body, or payload_json of a multipart body. */
  json?: any;
  files: { name: string; data: Buffer; type: string }[];
}

export const APP_ID = '100000000000000001';
export const GUILD_ID = '200000000000000001';
export const CHANNEL_ID = '300000000000000001';
/** A second server, on shard 1 of 2 ((id >> 22) % 2 = 1; GUILD_ID is on shard 0): only with `shards: 2`. */
export const GUILD_ID_2 = '200000000012582912';
/** Roles the fake guild has (discord.js only keeps a member's roles that the guild has). */
export const ROLE_IDS = ['700000000000000001', '700000000000000002'];
let snowflake = 400000000000000000n;
const nextId = () => String(++snowflake);

/** Discord's rule: a server's events go to shard (server id >> 22) % shard count; DMs to shard 0. */
export const shardOf = (guildId: string | undefined, count: number) =>
  guildId ? Number((BigInt(guildId) >> 22n) % BigInt(count)) : 0;

export interface FakeDiscordOptions {
  /**
   * The shard count /gateway/bot recommends. Above 1 the fake serves a second server (GUILD_ID_2)
   * and routes each server's events only to the gateway connection that identified with its shard.
   */
  shards?: number;
}

export class FakeDiscord {
  private readonly recorder = new CallRecorder<RecordedCall>('fake Discord');
  readonly calls = this.recorder.calls;
  readonly cdn = new Map<string, Buffer>();
  /** When INTERACTION_CREATE was sent, by interaction id. */
  readonly sentAt = new Map<string, number>();
  private readonly http = createServer((req, res) => void this.route(req, res).catch((err) => this.fail(res, err)));
  private readonly wss = new WebSocketServer({ noServer: true });
  private sockets: WebSocket[] = [];
  /** The [id, count] each gateway connection identified with. */
  readonly shards = new Map<WebSocket, [number, number]>();
  private seq = 0;
  port = 0;

  constructor(private readonly opts: FakeDiscordOptions = {}) {}

  private get guildIds() {
    return (this.opts.shards ?? 1) > 1 ? [GUILD_ID, GUILD_ID_2] : [GUILD_ID];
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  get apiUrl() {
    return `${this.url}/api`;
  }
  get cdnUrl() {
    return `${this.url}/cdn/`;
  }

  async start() {
    this.port = await listenLoopback(this.http, this.wss, (ws) => this.onSocket(ws));
    return this;
  }

  stop() {
    return closeLoopback(this.http, this.wss, this.sockets);
  }

  /** Serves bytes as a Discord attachment and returns its interaction data. */
  attachment(name: string, data: Buffer, url?: string, contentType = 'image/jpeg') {
    const id = nextId();
    const href = url ?? `${this.cdnUrl}attachments/${CHANNEL_ID}/${id}/${name}`;
    this.cdn.set(new URL(href).pathname, data);
    return { id, filename: name, size: data.length, url: href, proxy_url: href, content_type: contentType };
  }

  /** Sends a slash command; returns the interaction id. */
  command(
    name: string,
    options: Record<string, unknown>[],
    opts: {
      locale?: string;
      userId?: string;
      attachments?: Record<string, unknown>;
      permissions?: string;
      roles?: string[];
      guildId?: string;
    } = {},
  ) {
    const id = nextId();
    this.dispatch('INTERACTION_CREATE', {
      ...this.base(id, opts),
      type: 2,
      data: {
        id: nextId(),
        name,
        type: 1,
        options,
        ...(opts.attachments ? { resolved: { attachments: opts.attachments } } : {}),
      },
    });
    return id;
  }

  /** A message someone posted in the channel (content, attachments as made by `attachment`), as Discord resolves it. */
  postedMessage(
    content: string,
    attachments: ReturnType<FakeDiscord['attachment']>[] = [],
    author = {
      id: '600000000000000077',
      username: 'classmate',
      discriminator: '0',
      global_name: 'Classmate',
      avatar: null,
    },
  ) {
    return {
      id: nextId(),
      channel_id: CHANNEL_ID,
      guild_id: GUILD_ID,
      type: 0,
      content,
      author,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      pinned: false,
      flags: 0,
      embeds: [],
      components: [],
      attachments,
    };
  }

  /** Right-click → Apps → `name` on a posted message (a message context-menu command, type 3). */
  messageCommand(
    name: string,
    message: { id: string },
    opts: { locale?: string; userId?: string; permissions?: string; roles?: string[] } = {},
  ) {
    const id = nextId();
    this.dispatch('INTERACTION_CREATE', {
      ...this.base(id, opts),
      type: 2,
      data: { id: nextId(), name, type: 3, target_id: message.id, resolved: { messages: { [message.id]: message } } },
    });
    return id;
  }

  /** Presses a button on a message the bot sent. */
  button(
    customId: string,
    message: { id: string; content?: string; flags?: number },
    opts: { locale?: string; userId?: string } = {},
  ) {
    const id = nextId();
    this.dispatch('INTERACTION_CREATE', {
      ...this.base(id, opts),
      type: 3,
      data: { custom_id: customId, component_type: 2 },
      message: {
        id: message.id,
        channel_id: CHANNEL_ID,
        type: 20,
        content: message.content ?? '',
        author: this.botUser,
        attachments: [],
        embeds: [],
        components: [],
        timestamp: new Date().toISOString(),
        flags: message.flags ?? 0,
        mentions: [],
        mention_roles: [],
        pinned: false,
        mention_everyone: false,
        tts: false,
        edited_timestamp: null,
      },
    });
    return id;
  }

  /** Resolves with the first recorded call (past or future) matching. */
  waitFor(match: (c: RecordedCall) => boolean, timeoutMs = 20_000): Promise<RecordedCall> {
    return this.recorder.waitFor(match, timeoutMs);
  }

  callsFor(interactionToken: string) {
    return this.calls.filter((c) => c.path.includes(`/${interactionToken}`));
  }

  readonly botUser = {
    id: '500000000000000001',
    username: 'sinapsis',
    discriminator: '0',
    global_name: 'Sinapsis',
    avatar: null,
    bot: true,
  };

  private base(
    id: string,
    opts: { locale?: string; userId?: string; permissions?: string; roles?: string[]; guildId?: string },
  ) {
    const guildId = opts.guildId ?? GUILD_ID;
    const user = {
      id: opts.userId ?? '600000000000000001',
      username: 'student',
      discriminator: '0',
      global_name: 'Student',
      avatar: null,
    };
    return {
      id,
      application_id: APP_ID,
      token: `tok-${id}`,
      version: 1,
      guild_id: guildId,
      channel_id: CHANNEL_ID,
      channel: { id: CHANNEL_ID, type: 0, guild_id: guildId, name: 'general' },
      member: {
        user,
        roles: opts.roles ?? [],
        permissions: opts.permissions ?? '2248473465835073',
        joined_at: new Date().toISOString(),
        deaf: false,
        mute: false,
        flags: 0,
      },
      locale: opts.locale ?? 'en-US',
      guild_locale: 'es-419',
      app_permissions: '2248473465835073',
      entitlements: [],
      authorizing_integration_owners: { '0': guildId },
      context: 0,
    };
  }

  private dispatch(t: string, d: unknown) {
    if (t === 'INTERACTION_CREATE') this.sentAt.set((d as { id: string }).id, performance.now());
    const msg = JSON.stringify({ op: 0, t, s: ++this.seq, d });
    const guild = (d as { guild_id?: string }).guild_id;
    for (const s of this.sockets) {
      const [shard, count] = this.shards.get(s) ?? [0, 1];
      if (shardOf(guild, count) === shard) s.send(msg);
    }
  }

  private onSocket(ws: WebSocket) {
    this.sockets.push(ws);
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 } }));
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.op === 1) ws.send(JSON.stringify({ op: 11 }));
      if (msg.op === 2) {
        const shard: [number, number] = msg.d?.shard ?? [0, 1];
        this.shards.set(ws, shard);
        const mine = this.guildIds.filter((g) => shardOf(g, shard[1]) === shard[0]);
        const ready = {
          v: 10,
          user: this.botUser,
          guilds: mine.map((id) => ({ id, unavailable: true })),
          session_id: 'fake-session',
          resume_gateway_url: `ws://127.0.0.1:${this.port}`,
          shard,
          application: { id: APP_ID, flags: 0 },
        };
        ws.send(JSON.stringify({ op: 0, t: 'READY', s: ++this.seq, d: ready }));
        const guild = (id: string) => ({
          id,
          name: 'Curso',
          icon: null,
          owner_id: '600000000000000009',
          unavailable: false,
          preferred_locale: 'es-419',
          roles: [id, ...ROLE_IDS].map((id, position) => ({
            id,
            name: position ? `role-${position}` : '@everyone',
            permissions: '0',
            position,
            color: 0,
            hoist: false,
            managed: false,
            mentionable: false,
            flags: 0,
          })),
          channels: [{ id: CHANNEL_ID, type: 0, name: 'general', position: 0, permission_overwrites: [] }],
          members: [],
          emojis: [],
          stickers: [],
          features: [],
          member_count: 2,
          large: false,
          threads: [],
          voice_states: [],
          presences: [],
          stage_instances: [],
          guild_scheduled_events: [],
        });
        for (const id of mine) ws.send(JSON.stringify({ op: 0, t: 'GUILD_CREATE', s: ++this.seq, d: guild(id) }));
      }
    });
    ws.on('close', () => {
      this.sockets = this.sockets.filter((s) => s !== ws);
      this.shards.delete(ws);
    });
  }

  private message(json: any, attachments: RecordedCall['files']) {
    return {
      id: nextId(),
      channel_id: CHANNEL_ID,
      type: 20,
      content: json?.content ?? '',
      author: this.botUser,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      pinned: false,
      flags: json?.flags ?? 0,
      embeds: [],
      components: json?.components ?? [],
      attachments: attachments.map((f) => ({
        id: nextId(),
        filename: f.name,
        size: f.data.length,
        url: `${this.cdnUrl}out/${f.name}`,
        proxy_url: `${this.cdnUrl}out/${f.name}`,
      })),
    };
  }

  private async route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.url);
    const path = decodeURIComponent(url.pathname);
    const body = await readBody(req);
    const call: RecordedCall = { at: performance.now(), method: req.method ?? 'GET', path, files: [] };
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
      for (const [key, value] of form) {
        if (key === 'payload_json') call.json = JSON.parse(String(value));
        else if (typeof value !== 'string')
          call.files.push({ name: value.name, type: value.type, data: Buffer.from(await value.arrayBuffer()) });
      }
    } else if (body.length) call.json = JSON.parse(body.toString('utf8'));

    if (path.startsWith('/cdn/')) {
      const data = this.cdn.get(url.pathname);
      if (!data) return this.send(res, 404, { message: 'Not Found' });
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': data.length });
      return res.end(data);
    }
    this.record(call);
    const m = (re: RegExp) => re.exec(path);
    if (path === '/api/v10/gateway/bot') {
      return this.send(res, 200, {
        url: `ws://127.0.0.1:${this.port}`,
        shards: this.opts.shards ?? 1,
        session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
      });
    }
    if (path === '/api/v10/users/@me') return this.send(res, 200, this.botUser);
    if (req.method === 'PUT' && m(/^\/api\/v10\/applications\/\d+(\/guilds\/\d+)?\/commands$/)) {
      return this.send(
        res,
        200,
        (call.json as any[]).map((c) => ({ ...c, id: nextId(), application_id: APP_ID, version: nextId() })),
      );
    }
    if (req.method === 'POST' && m(/^\/api\/v10\/interactions\/\d+\/[^/]+\/callback$/)) {
      res.writeHead(204); // no body and no JSON content type, as Discord does
      return res.end();
    }
    if (req.method === 'PATCH' && m(/^\/api\/v10\/webhooks\/\d+\/[^/]+\/messages\/[^/]+$/))
      return this.send(res, 200, this.message(call.json, call.files));
    if (req.method === 'POST' && m(/^\/api\/v10\/webhooks\/\d+\/[^/]+$/))
      return this.send(res, 200, this.message(call.json, call.files));
    if (req.method === 'DELETE' && m(/^\/api\/v10\/webhooks\/\d+\/[^/]+\/messages\/[^/]+$/)) {
      res.writeHead(204);
      return res.end();
    }
    return this.send(res, 404, { message: `fake Discord has no route ${req.method} ${path}`, code: 0 });
  }

  private record(call: RecordedCall) {
    this.recorder.record(call);
  }

  private send(res: ServerResponse, status: number, json: unknown) {
    const body = JSON.stringify(json);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private fail(res: ServerResponse, err: unknown) {
    if (!res.headersSent) this.send(res, 500, { message: String(err) });
  }
}
