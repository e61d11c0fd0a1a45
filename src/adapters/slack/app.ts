import { App as BoltApp, LogLevel, type BlockAction, type ButtonAction as SlackButton, type Logger, type SlashCommand } from '@slack/bolt';
import type pino from 'pino';
import type { WebClient } from '@slack/web-api';
import { adminSpec, COMMANDS, findCommand } from '../../../commands/index.js';
import type { App } from '../../core/app.js';
import { needsUpload } from '../../core/options.js';
import type { RequestContext } from '../../core/service.js';
import { asSinapsisError, SinapsisError } from '../../errors.js';
import { langOf, type Lang } from '../../i18n/locale.js';
import { t } from '../../i18n/messages.js';
import { InteractionStates } from '../../store/interaction-state.js';
import type { TaskResult } from '../../tasks/types.js';
import { buttonActions, buttonLabel, customId, followUpButtons, parseCustomId, rerunOptions } from '../buttons.js';
import { downloadUserFile } from '../download.js';
import { explainResult } from '../result-explainer.js';
import { progressText } from '../progress-text.js';
import { ReplyEditor } from '../reply-editor.js';
import { parseAdminText, parseCommandText } from './args.js';
import { SlackDirectory } from './directory.js';
import { registerShortcuts } from './shortcuts.js';

export interface SlackBot {
  bolt: BoltApp;
  stop(): Promise<void>;
}

export interface Where {
  channel: string;
  user: string;
  team?: string;
  /** Answer in this thread (a message action answers under the message it was used on). */
  thread?: string;
}

/**
 * The thin Slack adapter (Bolt): ack() at once, then a placeholder message that
 * shows the queue position and grows with streamed text, then the result.
 * Socket Mode with an app token; HTTP (signed requests) with a signing secret.
 */
export async function startSlack(app: App, opts: { retries?: number } = {}): Promise<SlackBot> {
  const { config, service } = app;
  const log = app.logger.child({ adapter: 'slack' });
  const states = new InteractionStates(app.db);
  const socketMode = Boolean(config.SLACK_APP_TOKEN);
  const bolt = new BoltApp({
    token: config.SLACK_BOT_TOKEN,
    ...(socketMode ? { socketMode: true, appToken: config.SLACK_APP_TOKEN } : { signingSecret: config.SLACK_SIGNING_SECRET, port: config.SLACK_PORT }),
    clientOptions: { slackApiUrl: config.SLACK_API_URL, ...(opts.retries !== undefined ? { retryConfig: { retries: opts.retries } } : {}) },
    logger: boltLogger(log),
  });

  const directory = new SlackDirectory(config.SLACK_ADMIN_USERS, config.SINAPSIS_DEFAULT_LANGUAGE, (err) => log.warn({ err }, 'Slack user lookup failed'));
  const langOfUser = async (client: WebClient, user: string) => (await directory.user(client, user)).lang;
  /** The gate's view of a Slack user: "admin"/"owner" and user-group IDs as roles. Public replies use the workspace's default language when set. */
  async function ctxFor(client: WebClient, w: Where): Promise<RequestContext> {
    const who = await directory.user(client, w.user);
    const roles = [...who.roles, ...(await directory.groupsOf(client, w.user))];
    return { platform: 'slack', userId: w.user, serverId: w.team, channelId: w.channel, roles, isAdmin: who.admin, lang: service.serverLanguage(w.team) ?? who.lang };
  }

  async function ephemeral(client: WebClient, w: Where, err: unknown, lang: Lang) {
    const e = asSinapsisError(err);
    if (e.code === 'internal') log.error({ err: e.cause ?? e }, 'command failed');
    await client.chat.postEphemeral({ channel: w.channel, user: w.user, text: `⚠️ ${e.localized(lang)}`, ...(w.thread ? { thread_ts: w.thread } : {}) }).catch((err2) => log.warn({ err: err2 }, 'ephemeral failed'));
  }

  /** The newest image this user shared in the channel within the window: its private download URL. */
  async function recentImage(client: WebClient, w: Where, command: string): Promise<string> {
    const minutes = config.SLACK_IMAGE_WINDOW_MIN;
    const history = await client.conversations.history({ channel: w.channel, oldest: String(Date.now() / 1000 - minutes * 60), limit: 50 });
    const file = (history.messages ?? [])
      .filter((m) => m.user === w.user)
      .flatMap((m) => (m.files ?? []).filter((f) => f.mimetype?.startsWith('image/')))
      .at(0);
    if (!file?.id) throw new SinapsisError('slack_no_image', { minutes, command });
    const info = await client.files.info({ file: file.id });
    const url = info.file?.url_private_download ?? info.file?.url_private;
    if (!url) throw new SinapsisError('slack_no_image', { minutes, command });
    return url;
  }

  const download = (url: string, maxBytes: number) =>
    downloadUserFile(url, {
      allowedPrefixes: config.SLACK_FILE_URLS,
      maxBytes,
      timeoutMs: config.CHAT_DOWNLOAD_TIMEOUT_S * 1000,
      headers: { authorization: `Bearer ${config.SLACK_BOT_TOKEN}` },
    });

  function resultBlocks(result: TaskResult, command: string, options: Record<string, unknown>, stateId: string, lang: Lang, userId: string) {
    const [body, ...footer] = result.text.split('\n\n');
    const follow = followUpButtons(result.followUps, (o) => states.save({ platform: 'slack', userId, command, options: o }));
    const text = (footer.length ? body! : result.text).replace(/\*\*(.+?)\*\*/g, '*$1*');
    return [
      { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: (footer.join('\n') || `${result.model ?? command} · ${Math.round(Object.values(result.timings).reduce((a, b) => Math.max(a, b), 0))} ms`).slice(0, 2000) }] },
      ...(follow.length ? [{ type: 'actions', elements: follow.map((f) => ({ type: 'button', action_id: f.id, text: { type: 'plain_text', text: f.label } })) }] : []),
      {
        type: 'actions',
        elements: buttonActions(command, options, follow.length > 0).map((action) => ({
          type: 'button',
          action_id: customId(action, stateId),
          text: { type: 'plain_text', text: t(lang, buttonLabel(action)) },
          ...(action === 'delete' ? { style: 'danger' } : {}),
        })),
      },
    ];
  }

  /** Queue the request, keep one message up to date while it waits and runs, then show the result. */
  async function run(client: WebClient, w: Where, command: string, options: Record<string, unknown>, imageUrl: string | undefined) {
    const ctx = await ctxFor(client, w);
    const lang = ctx.lang;
    const spec = findCommand(command)!;
    const images: Record<string, Buffer> = {};
    if (imageUrl) {
      const o = spec.options.find((x) => x.type === 'image');
      images[o!.name] = await download(imageUrl, o?.type === 'image' ? o.maxBytes : 0);
    }
    const placeholder = await client.chat.postMessage({ channel: w.channel, text: `⏳ ${t(lang, 'working')}`, ...(w.thread ? { thread_ts: w.thread } : {}) });
    const ts = placeholder.ts!;
    type Update = { text: string; blocks?: unknown[] };
    const editor = new ReplyEditor<Update>(
      (u) => client.chat.update({ channel: w.channel, ts, text: u.text, ...(u.blocks ? { blocks: u.blocks as never } : {}) }),
      (text) => ({ text }),
      1000,
      (err) => log.warn({ err }, 'update failed'),
    );
    try {
      const handle = service.submit(
        // The placeholder can be edited after a crash to say the bot restarted.
        { command, options, images, ctx: { ...ctx, reply: { channel: w.channel, ts, lang } } },
        { onPosition: (position) => editor.progress(`⏳ ${t(lang, 'queued', { position })}`), onProgress: (p) => editor.progress(progressText(p, lang)) },
      );
      if (handle.position() > 0) editor.progress(`⏳ ${t(lang, 'queued', { position: handle.position() })}`);
      const result = await handle.result;
      const stateId = states.save({ platform: 'slack', userId: w.user, command, options, imageUrl, model: result.model });
      await editor.final({ text: result.text.slice(0, 3000), blocks: resultBlocks(result, command, options, stateId, lang, w.user) });
      if (result.images.length) {
        await client.filesUploadV2({
          channel_id: w.channel,
          thread_ts: w.thread ?? ts,
          file_uploads: result.images.map((img) => ({ file: img.data, filename: img.name, alt_text: img.alt.slice(0, 1000) })),
        } as never);
      }
    } catch (err) {
      await editor.stop();
      await client.chat.delete({ channel: w.channel, ts }).catch(() => undefined);
      throw err;
    }
  }

  bolt.command(`/${config.SINAPSIS_ADMIN_COMMAND}`, async ({ command, ack, client }) => {
    await ack();
    void handleAdmin(client, command).catch((err) => log.error({ err }, 'admin command failed'));
  });

  /** The moderators' command: answered privately, in the user's own language; the service refuses non-admins. */
  async function handleAdmin(client: WebClient, command: SlashCommand) {
    const w: Where = { channel: command.channel_id, user: command.user_id, team: command.team_id };
    const ctx = await ctxFor(client, w);
    const lang = await langOfUser(client, w.user);
    try {
      const { sub, options } = parseAdminText(adminSpec(config.SINAPSIS_ADMIN_COMMAND), command.text ?? '');
      const result = service.admin({ sub, options, ctx: { ...ctx, lang } });
      await client.chat.postEphemeral({ channel: w.channel, user: w.user, text: result.text.replace(/\*\*(.+?)\*\*/g, '*$1*').slice(0, 3000) });
    } catch (err) {
      await ephemeral(client, w, err, lang);
    }
  }

  for (const spec of COMMANDS) {
    bolt.command(`/${spec.name}`, async ({ command, ack, client }) => {
      // Slack wants an answer within 3 s: acknowledge first, work after.
      await ack();
      void handleCommand(client, spec.name, command).catch((err) => log.error({ err }, 'slash command failed'));
    });
  }

  async function handleCommand(client: WebClient, name: string, command: SlashCommand) {
    const w: Where = { channel: command.channel_id, user: command.user_id, team: command.team_id };
    const lang = await langOfUser(client, w.user);
    const spec = findCommand(name)!;
    try {
      const options = parseCommandText(spec, command.text ?? '');
      const needsImage = needsUpload(spec, options);
      service.check({ command: name, options, images: needsImage ? { image: Buffer.alloc(0) } : {}, ctx: await ctxFor(client, w) });
      const imageUrl = needsImage ? await recentImage(client, w, name) : undefined;
      await run(client, w, name, options, imageUrl);
    } catch (err) {
      await ephemeral(client, w, err, lang);
    }
  }

  bolt.action<BlockAction<SlackButton>>(/^sx:/, async ({ action, body, ack, client }) => {
    await ack();
    const w: Where = { channel: body.channel?.id ?? '', user: body.user.id, team: body.team?.id ?? undefined, thread: body.message?.thread_ts };
    const lang = await langOfUser(client, w.user);
    const parsed = parseCustomId(action.action_id);
    const state = parsed && states.get(parsed.stateId);
    try {
      if (!parsed || !state) throw new SinapsisError('button_expired');
      if (parsed.action === 'delete') {
        if (w.user !== state.userId) throw new SinapsisError('not_your_button');
        await client.chat.delete({ channel: w.channel, ts: body.message!.ts });
      } else if (parsed.action === 'explain') {
        await client.chat.postEphemeral({ channel: w.channel, user: w.user, text: explainResult(app.models, state.command, state.model, lang).replace(/\*\*(.+?)\*\*/g, '*$1*') });
      } else {
        const options = rerunOptions(parsed.action, state.options);
        service.check({ command: state.command, options, images: state.imageUrl ? { image: Buffer.alloc(0) } : {}, ctx: await ctxFor(client, w) });
        await run(client, w, state.command, options, state.imageUrl);
      }
    } catch (err) {
      await ephemeral(client, w, err, lang);
    }
  });

  registerShortcuts(bolt, { service, states, fileUrls: config.SLACK_FILE_URLS, log, langOfUser, ctxFor, run, ephemeral });

  bolt.error(async (err) => log.error({ err }, 'Slack app error'));
  await bolt.start();
  log.info({ mode: socketMode ? 'socket' : `http :${config.SLACK_PORT}` }, 'Slack ready');
  // Jobs a crashed process accepted and never answered: their "working…" messages say the bot restarted.
  for (const job of service.takeInterrupted('slack')) {
    const r = job.reply as { channel?: string; ts?: string; lang?: string } | undefined;
    if (!r?.channel || !r.ts) continue;
    await bolt.client.chat.update({ channel: r.channel, ts: r.ts, text: `⚠️ ${t(langOf(r.lang, 'es'), 'restarted')}` }).catch((err) => log.warn({ err: String(err) }, 'could not tell a user about the restart'));
  }
  return {
    bolt,
    async stop() {
      await bolt.stop();
    },
  };
}

/** Bolt's logger interface over our pino logger, so its messages land in the same log. */
function boltLogger(log: pino.Logger): Logger {
  let level = LogLevel.WARN;
  return {
    debug: (...m: unknown[]) => log.debug(m.join(' ')),
    info: (...m: unknown[]) => log.info(m.join(' ')),
    warn: (...m: unknown[]) => log.warn(m.join(' ')),
    error: (...m: unknown[]) => log.error(m.join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
