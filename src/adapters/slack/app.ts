import {
  App as BoltApp,
  LogLevel,
  type BlockAction,
  type ButtonAction as SlackButton,
  type Logger,
  type SlashCommand,
} from '@slack/bolt';
import type pino from 'pino';
import type { WebClient } from '@slack/web-api';
import { adminSpec, COMMANDS, findCommand } from '../../../commands/index.js';
import type { App } from '../../core/app.js';
import { needsUpload } from '../../core/options.js';
import type { RequestContext } from '../../core/service.js';
import { asSinapsisError, SinapsisError } from '../../errors.js';
import type { Lang } from '../../i18n/locale.js';
import { t } from '../../i18n/messages.js';
import type { TaskResult } from '../../tasks/types.js';
import { buttonActions, buttonLabel, customId, followUpButtons } from '../buttons.js';
import { pressButton, runWithProgress, type ImageRef } from '../chat-flow.js';
import { downloadUserFile } from '../download.js';
import { parseAdminText, parseCommandText } from './args.js';
import { SlackDirectory } from './directory.js';
import { mrkdwn } from './mrkdwn.js';
import { registerShortcuts } from './shortcuts.js';
import { registerSlackRecovery } from './recovered.js';

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

/** What a Slack message is set to: its fallback text and, for results, its blocks. */
export type SlackPayload = { text: string; blocks?: unknown[] };

/**
 * The thin Slack adapter (Bolt): ack() at once, then a placeholder message that
 * shows the queue position and grows with streamed text, then the result.
 * Socket Mode with an app token; HTTP (signed requests) with a signing secret.
 */
export async function startSlack(app: App, opts: { retries?: number } = {}): Promise<SlackBot> {
  const { config, service } = app;
  const log = app.logger.child({ adapter: 'slack' });
  const states = app.stores.interactions;
  const socketMode = Boolean(config.SLACK_APP_TOKEN);
  const bolt = new BoltApp({
    token: config.SLACK_BOT_TOKEN,
    ...(socketMode
      ? { socketMode: true, appToken: config.SLACK_APP_TOKEN }
      : { signingSecret: config.SLACK_SIGNING_SECRET, port: config.SLACK_PORT }),
    clientOptions: {
      slackApiUrl: config.SLACK_API_URL,
      ...(opts.retries !== undefined ? { retryConfig: { retries: opts.retries } } : {}),
    },
    logger: boltLogger(log),
  });

  const directory = new SlackDirectory(config.SLACK_ADMIN_USERS, config.SINAPSIS_DEFAULT_LANGUAGE, (err) =>
    log.warn({ err }, 'Slack user lookup failed'),
  );
  const langOfUser = async (client: WebClient, user: string) => (await directory.user(client, user)).lang;
  /** The gate's view of a Slack user: "admin"/"owner" and user-group IDs as roles. Public replies use the workspace's default language when set. */
  async function ctxFor(client: WebClient, w: Where): Promise<RequestContext> {
    const who = await directory.user(client, w.user);
    const roles = [...who.roles, ...(await directory.groupsOf(client, w.user))];
    return {
      platform: 'slack',
      userId: w.user,
      serverId: w.team,
      channelId: w.channel,
      roles,
      isAdmin: who.admin,
      lang: (await service.serverLanguage(w.team)) ?? who.lang,
    };
  }

  async function ephemeral(client: WebClient, w: Where, err: unknown, lang: Lang) {
    const e = asSinapsisError(err);
    if (e.code === 'internal') log.error({ err: e.cause ?? e }, 'command failed');
    await client.chat
      .postEphemeral({
        channel: w.channel,
        user: w.user,
        text: `⚠️ ${e.localized(lang)}`,
        ...(w.thread ? { thread_ts: w.thread } : {}),
      })
      .catch((err2) => log.warn({ err: err2 }, 'ephemeral failed'));
  }

  /** The newest image this user shared in the channel within the window: its private download URL. */
  async function recentImage(client: WebClient, w: Where, command: string): Promise<string> {
    const minutes = config.SLACK_IMAGE_WINDOW_MIN;
    const history = await client.conversations.history({
      channel: w.channel,
      oldest: String(Date.now() / 1000 - minutes * 60),
      limit: 50,
    });
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

  function resultBlocks(
    result: TaskResult,
    command: string,
    options: Record<string, unknown>,
    stateId: string,
    lang: Lang,
    follow: { label: string; id: string }[],
  ) {
    const [body, ...footer] = result.text.split('\n\n');
    const text = mrkdwn(footer.length ? body! : result.text);
    return [
      { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: (
              footer.join('\n') ||
              `${result.model ?? command} · ${Math.round(Object.values(result.timings).reduce((a, b) => Math.max(a, b), 0))} ms`
            ).slice(0, 2000),
          },
        ],
      },
      ...(follow.length
        ? [
            {
              type: 'actions',
              elements: follow.map((f) => ({
                type: 'button',
                action_id: f.id,
                text: { type: 'plain_text', text: f.label },
              })),
            },
          ]
        : []),
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

  /**
   * The shared chat flow in one placeholder message that shows the queue position and grows
   * with streamed text, then the result. A failure removes the placeholder and goes back to
   * the caller, who answers privately.
   */
  async function run(
    client: WebClient,
    w: Where,
    command: string,
    options: Record<string, unknown>,
    images: Record<string, ImageRef>,
  ) {
    const ctx = await ctxFor(client, w);
    let ts: string | undefined;
    await runWithProgress<SlackPayload>(
      { service, states, log },
      { command, options, images, ctx },
      {
        download: (ref, maxBytes) => download(ref.url, maxBytes),
        async open() {
          const placeholder = await client.chat.postMessage({
            channel: w.channel,
            text: `⏳ ${t(ctx.lang, 'working')}`,
            ...(w.thread ? { thread_ts: w.thread } : {}),
          });
          ts = placeholder.ts!;
          // After a crash the job is re-run and this placeholder updated with the result (recovered.ts).
          return { channel: w.channel, ts, thread: w.thread };
        },
        edit: (u) =>
          client.chat.update({
            channel: w.channel,
            ts: ts!,
            text: u.text,
            ...(u.blocks ? { blocks: u.blocks as never } : {}),
          }),
        progress: (text) => ({ text }),
        async render(result, saved) {
          return {
            payload: {
              text: result.text.slice(0, 3000),
              blocks: resultBlocks(result, command, options, saved.stateId, ctx.lang, saved.followUps()),
            },
            after: async () => {
              if (!result.images.length) return;
              await client.filesUploadV2({
                channel_id: w.channel,
                thread_ts: w.thread ?? ts,
                file_uploads: result.images.map((img) => ({
                  file: img.data,
                  filename: img.name,
                  alt_text: img.alt.slice(0, 1000),
                })),
              } as never);
            },
          };
        },
        async fail(e, shown) {
          await shown.stop();
          if (ts) await client.chat.delete({ channel: w.channel, ts }).catch(() => undefined);
          throw e;
        },
      },
    );
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
      const result = await service.admin({ sub, options, ctx: { ...ctx, lang } });
      await client.chat.postEphemeral({ channel: w.channel, user: w.user, text: mrkdwn(result.text).slice(0, 3000) });
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
      // A slash command carries no file: a required image (unless a sample was chosen) is the user's latest one in the channel.
      const image = needsUpload(spec, options) ? spec.options.find((o) => o.type === 'image' && o.required) : undefined;
      await service.check({ command: name, options, images: image ? [image.name] : [], ctx: await ctxFor(client, w) });
      const images = image ? { [image.name]: { url: await recentImage(client, w, name) } } : {};
      await run(client, w, name, options, images);
    } catch (err) {
      await ephemeral(client, w, err, lang);
    }
  }

  bolt.action<BlockAction<SlackButton>>(/^sx:/, async ({ action, body, ack, client }) => {
    await ack();
    const w: Where = {
      channel: body.channel?.id ?? '',
      user: body.user.id,
      team: body.team?.id ?? undefined,
      thread: body.message?.thread_ts,
    };
    const lang = await langOfUser(client, w.user);
    try {
      const press = await pressButton({ states, models: app.models }, action.action_id, w.user, lang);
      if (press.kind === 'delete') {
        await client.chat.delete({ channel: w.channel, ts: body.message!.ts });
      } else if (press.kind === 'explain') {
        await client.chat.postEphemeral({ channel: w.channel, user: w.user, text: mrkdwn(press.text) });
      } else {
        await service.check({
          command: press.command,
          options: press.options,
          images: Object.keys(press.images),
          ctx: await ctxFor(client, w),
        });
        await run(client, w, press.command, press.options, press.images);
      }
    } catch (err) {
      await ephemeral(client, w, err, lang);
    }
  });

  registerShortcuts(bolt, {
    service,
    states,
    fileUrls: config.SLACK_FILE_URLS,
    log,
    langOfUser,
    ctxFor,
    run,
    download: (ref, maxBytes) => download(ref.url, maxBytes),
    ephemeral,
  });

  bolt.error(async (err) => log.error({ err }, 'Slack app error'));
  await bolt.start();
  log.info({ mode: socketMode ? 'socket' : `http :${config.SLACK_PORT}` }, 'Slack ready');
  // Jobs a crashed process left unanswered: re-run (update the placeholder with the result) or "the bot restarted".
  void registerSlackRecovery(app, bolt.client, {
    download,
    blocks: async (result, command, options, lang, userId, imageUrl) =>
      resultBlocks(
        result,
        command,
        options,
        await states.save({ platform: 'slack', userId, command, options, imageUrl, model: result.model }),
        lang,
        await followUpButtons(result.followUps, (o) => states.save({ platform: 'slack', userId, command, options: o })),
      ),
  });
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
