// A small fake of Slack on 127.0.0.1: the Web API methods the app uses, the
// external upload URL, private file downloads (bot token required), and a
// Socket Mode websocket. Also signs HTTP-mode requests like Slack does.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { CallRecorder, closeLoopback, listenLoopback, readBody } from '../recorder.js';

export interface SlackCall {
  at: number;
  method: string;
  args: Record<string, any>;
}

export const BOT_TOKEN = 'xoxb-fake';
export const APP_TOKEN = 'xapp-fake';
export const SIGNING_SECRET = 'fake-signing-secret';
export const TEAM = 'T0000001';
export const CHANNEL = 'C0000001';

export class FakeSlack {
  private readonly recorder = new CallRecorder<SlackCall>('fake Slack');
  readonly calls = this.recorder.calls;
  readonly uploads = new Map<string, { name: string; data: Buffer }>();
  readonly locales = new Map<string, string>();
  /** Workspace admins (users.info is_admin). */
  readonly admins = new Set<string>();
  /** User groups: id → member user ids (usergroups.list). */
  readonly groups = new Map<string, string[]>();
  readonly history: any[] = [];
  readonly files = new Map<string, { data: Buffer; mimetype: string }>();
  /** Envelope id → when it was sent and when the app acknowledged it. */
  readonly envelopes = new Map<string, { sentAt: number; ackAt?: number; payload?: unknown }>();
  private readonly http = createServer(
    (req, res) => void this.route(req, res).catch((err) => this.json(res, 500, { ok: false, error: String(err) })),
  );
  private readonly wss = new WebSocketServer({ noServer: true });
  private sockets: WebSocket[] = [];
  private ts = 1_700_000_000;
  port = 0;

  get apiUrl() {
    return `http://127.0.0.1:${this.port}/api/`;
  }
  get filesUrl() {
    return `http://127.0.0.1:${this.port}/files/`;
  }

  async start() {
    this.port = await listenLoopback(this.http, this.wss, (ws) => this.onSocket(ws));
    return this;
  }

  stop() {
    return closeLoopback(this.http, this.wss, this.sockets);
  }

  /** A message from `user` in the channel with an image file, as if just shared. */
  shareImage(user: string, name: string, data: Buffer) {
    const id = `F${randomBytes(4).toString('hex')}`;
    this.files.set(id, { data, mimetype: 'image/jpeg' });
    this.history.unshift({
      type: 'message',
      user,
      ts: `${Date.now() / 1000}`,
      text: '',
      files: [{ id, name, mimetype: 'image/jpeg' }],
    });
    return id;
  }

  /**
   * A message someone posted in the channel, as a shortcut payload carries it: text and
   * files (served from the fake's file host unless `url` puts one elsewhere).
   */
  postedMessage(
    user: string,
    text: string,
    files: { name: string; data: Buffer; mimetype?: string; url?: string }[] = [],
    threadTs?: string,
  ) {
    const ts = `${++this.ts}.000200`;
    const described = files.map((f) => {
      const id = `F${randomBytes(4).toString('hex')}`;
      const mimetype = f.mimetype ?? 'image/jpeg';
      this.files.set(id, { data: f.data, mimetype });
      return {
        id,
        name: f.name,
        mimetype,
        size: f.data.length,
        url_private: f.url ?? `${this.filesUrl}${id}/${f.name}`,
        url_private_download: f.url ?? `${this.filesUrl}${id}/download/${f.name}`,
      };
    });
    return {
      type: 'message',
      user,
      ts,
      text,
      ...(described.length ? { files: described } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
  }

  /** A message shortcut ("More actions" → …) used by `user` on `message`. */
  shortcutPayload(callbackId: string, message: { ts: string }, user = 'U0000001') {
    return {
      type: 'message_action',
      callback_id: callbackId,
      trigger_id: `t.${randomBytes(4).toString('hex')}`,
      message_ts: message.ts,
      response_url: `http://127.0.0.1:${this.port}/response/${randomBytes(4).toString('hex')}`,
      message,
      user: { id: user, name: 'student', team_id: TEAM },
      channel: { id: CHANNEL, name: 'general' },
      team: { id: TEAM, domain: 'curso' },
      token: 'x',
      action_ts: `${Date.now() / 1000}`,
    };
  }

  slashPayload(command: string, text: string, user = 'U0000001') {
    return {
      token: 'x',
      team_id: TEAM,
      team_domain: 'curso',
      channel_id: CHANNEL,
      channel_name: 'general',
      user_id: user,
      user_name: 'student',
      command,
      text,
      api_app_id: 'A0000001',
      response_url: `http://127.0.0.1:${this.port}/response`,
      trigger_id: `t.${randomBytes(4).toString('hex')}`,
    };
  }

  /** Socket Mode: pushes an envelope to the connected app. */
  sendEnvelope(type: 'slash_commands' | 'interactive', payload: unknown): string {
    const id = randomBytes(8).toString('hex');
    this.envelopes.set(id, { sentAt: performance.now() });
    const msg = JSON.stringify({ envelope_id: id, type, payload, accepts_response_payload: type === 'slash_commands' });
    for (const s of this.sockets) s.send(msg);
    return id;
  }

  /** HTTP mode: a request to the app's /slack/events, signed (or not) like Slack signs it. */
  async sendSigned(appPort: number, body: string, opts: { type?: string; secret?: string; timestamp?: number } = {}) {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac('sha256', opts.secret ?? SIGNING_SECRET)
      .update(`v0:${timestamp}:${body}`)
      .digest('hex')}`;
    const started = performance.now();
    return new Promise<{ status: number; body: string; ms: number }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: appPort,
          path: '/slack/events',
          method: 'POST',
          headers: {
            'content-type': opts.type ?? 'application/x-www-form-urlencoded',
            'x-slack-request-timestamp': String(timestamp),
            'x-slack-signature': signature,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  waitFor(match: (c: SlackCall) => boolean, timeoutMs = 20_000): Promise<SlackCall> {
    return this.recorder.waitFor(match, timeoutMs);
  }

  private onSocket(ws: WebSocket) {
    this.sockets.push(ws);
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'fake', approximate_connection_time: 3600 },
        connection_info: { app_id: 'A0000001' },
      }),
    );
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw));
      const env = msg.envelope_id && this.envelopes.get(msg.envelope_id);
      if (env && env.ackAt === undefined) {
        env.ackAt = performance.now();
        env.payload = msg.payload;
      }
    });
    ws.on('close', () => (this.sockets = this.sockets.filter((s) => s !== ws)));
  }

  private record(method: string, args: Record<string, any>) {
    this.recorder.record({ at: performance.now(), method, args });
  }

  private async route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const body = await readBody(req);
    if (url.pathname.startsWith('/upload/')) {
      const id = url.pathname.slice('/upload/'.length);
      const type = req.headers['content-type'] ?? '';
      let data = body;
      if (type.startsWith('multipart/form-data')) {
        const form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
        const f = [...form.values()].find((v) => typeof v !== 'string') as File | undefined;
        if (f) data = Buffer.from(await f.arrayBuffer());
      }
      this.uploads.set(id, { name: this.uploads.get(id)?.name ?? id, data });
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('OK - ' + data.length);
    }
    if (url.pathname.startsWith('/response/')) {
      // response_url: recorded as the method "response".
      this.record('response', JSON.parse(body.toString() || '{}'));
      return this.json(res, 200, { ok: true });
    }
    if (url.pathname.startsWith('/files/')) {
      const file = this.files.get(url.pathname.split('/')[2] ?? '');
      if (req.headers.authorization !== `Bearer ${BOT_TOKEN}` || !file) return this.json(res, 403, { ok: false });
      res.writeHead(200, { 'content-type': file.mimetype, 'content-length': file.data.length });
      return res.end(file.data);
    }
    if (!url.pathname.startsWith('/api/')) return this.json(res, 404, { ok: false, error: 'unknown_path' });
    const method = url.pathname.slice('/api/'.length);
    const type = req.headers['content-type'] ?? '';
    const args: Record<string, any> = type.includes('json')
      ? JSON.parse(body.toString() || '{}')
      : Object.fromEntries(new URLSearchParams(body.toString()));
    for (const k of ['blocks', 'files', 'file_uploads']) if (typeof args[k] === 'string') args[k] = JSON.parse(args[k]);
    this.record(method, args);
    const ts = () => `${++this.ts}.000100`;
    switch (method) {
      case 'auth.test':
        return this.json(res, 200, {
          ok: true,
          url: 'https://curso.slack.com/',
          team: 'Curso',
          user: 'sinapsis',
          team_id: TEAM,
          user_id: 'UBOT',
          bot_id: 'BBOT',
        });
      case 'apps.connections.open':
        return this.json(res, 200, { ok: true, url: `ws://127.0.0.1:${this.port}/socket` });
      case 'chat.postMessage':
        return this.json(res, 200, { ok: true, channel: args.channel, ts: ts(), message: { text: args.text } });
      case 'chat.update':
        return this.json(res, 200, { ok: true, channel: args.channel, ts: args.ts, text: args.text });
      case 'chat.postEphemeral':
        return this.json(res, 200, { ok: true, message_ts: ts() });
      case 'chat.delete':
        return this.json(res, 200, { ok: true, channel: args.channel, ts: args.ts });
      case 'users.info':
        return this.json(res, 200, {
          ok: true,
          user: {
            id: args.user,
            name: 'student',
            locale: this.locales.get(args.user) ?? 'en-US',
            is_admin: this.admins.has(args.user),
            is_owner: false,
          },
        });
      case 'usergroups.list':
        return this.json(res, 200, {
          ok: true,
          usergroups: [...this.groups].map(([id, users]) => ({
            id,
            handle: id.toLowerCase(),
            ...(args.include_users ? { users } : {}),
          })),
        });
      case 'conversations.history':
        return this.json(res, 200, {
          ok: true,
          messages: this.history.filter((m) => Number(m.ts) >= Number(args.oldest ?? 0)),
          has_more: false,
        });
      case 'files.info': {
        const f = this.files.get(args.file);
        if (!f) return this.json(res, 200, { ok: false, error: 'file_not_found' });
        return this.json(res, 200, {
          ok: true,
          file: {
            id: args.file,
            mimetype: f.mimetype,
            url_private: `${this.filesUrl}${args.file}/photo.jpg`,
            url_private_download: `${this.filesUrl}${args.file}/download/photo.jpg`,
          },
        });
      }
      case 'files.getUploadURLExternal': {
        const id = `F${randomBytes(4).toString('hex')}`;
        this.uploads.set(id, { name: args.filename, data: Buffer.alloc(0) });
        return this.json(res, 200, { ok: true, upload_url: `http://127.0.0.1:${this.port}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal':
        return this.json(res, 200, {
          ok: true,
          files: (args.files ?? []).map((f: any) => ({ id: f.id, title: f.title ?? this.uploads.get(f.id)?.name })),
        });
      default:
        return this.json(res, 200, { ok: false, error: 'unknown_method' });
    }
  }

  private json(res: ServerResponse, status: number, body: unknown) {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}
