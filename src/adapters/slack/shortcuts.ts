// Slack message shortcuts (the message's "⋯ More actions" menu), one per spec
// with a `contextMenu`: the command runs on that message's text or photo.
// Image results answer in the message's thread; private ones (translation)
// answer ephemerally in the user's own Slack language, with a share button.
import type { App as BoltApp, BlockAction, ButtonAction, MessageShortcut } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type pino from 'pino';
import type { RequestContext, Service } from '../../core/service.js';
import { SinapsisError } from '../../errors.js';
import type { Lang } from '../../i18n/locale.js';
import { t } from '../../i18n/messages.js';
import type { InteractionStateStore } from '../../store/stores.js';
import type { TaskResult } from '../../tasks/types.js';
import { BUTTON_LABELS, customId } from '../buttons.js';
import { runWithProgress, type ImageRef } from '../chat-flow.js';
import { isAllowedUrl } from '../download.js';
import { actionRequest, messageActions, slackPlainText, type ActionSpec, type MessageFile } from '../message-action.js';
import type { SlackPayload, Where } from './app.js';

/** The shortcut's callback id in the app manifest and in Bolt's router. */
export const shortcutCallbackId = (spec: { name: string }) => `sx_msg_${spec.name}`;

const SHARE = 'sxshare:';
/** Slack's limit for a button's value, which carries the text to share. */
const MAX_VALUE = 2000;

export interface ShortcutDeps {
  service: Service;
  states: InteractionStateStore;
  /** Slack's file host(s): the only place message files are downloaded from. */
  fileUrls: readonly string[];
  log: pino.Logger;
  langOfUser(client: WebClient, user: string): Promise<Lang>;
  ctxFor(client: WebClient, w: Where): Promise<RequestContext>;
  /** The slash commands' path (the shared chat flow): placeholder, queue position, result with buttons, images uploaded. */
  run(
    client: WebClient,
    w: Where,
    command: string,
    options: Record<string, unknown>,
    images: Record<string, ImageRef>,
  ): Promise<void>;
  /** Fetches a user's file from Slack (its hosts, the bot token). */
  download(ref: ImageRef, maxBytes: number): Promise<Buffer>;
  ephemeral(client: WebClient, w: Where, err: unknown, lang: Lang): Promise<void>;
}

interface SlackFile {
  id?: string;
  name?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
}

function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [''];
}

export function registerShortcuts(bolt: BoltApp, deps: ShortcutDeps) {
  const { service, log } = deps;

  /** A file's private download URL: from the payload, else files.info (older payloads omit it). */
  async function fileUrl(client: WebClient, file: MessageFile): Promise<string | undefined> {
    if (file.url) return file.url;
    if (!file.id) return undefined;
    try {
      const info = await client.files.info({ file: file.id });
      return info.file?.url_private_download ?? info.file?.url_private;
    } catch (err) {
      throw new SinapsisError('download_failed', {}, { cause: err });
    }
  }

  function privateBlocks(result: TaskResult, stateId: string, threadTs: string, lang: Lang) {
    const [body, ...footer] = result.text.split('\n\n');
    const buttons = [
      ...(result.text.length <= MAX_VALUE
        ? [
            {
              type: 'button',
              action_id: `${SHARE}${threadTs}`,
              value: result.text,
              style: 'primary',
              text: { type: 'plain_text', text: t(lang, 'button_share') },
            },
          ]
        : []),
      {
        type: 'button',
        action_id: customId('explain', stateId),
        text: { type: 'plain_text', text: t(lang, BUTTON_LABELS.explain) },
      },
    ];
    return [
      // A section holds 3000 characters; a long translation takes several.
      ...chunks(footer.length ? body! : result.text, 3000).map((text) => ({
        type: 'section',
        text: { type: 'plain_text', text },
      })),
      ...(footer.length
        ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: footer.join('\n').slice(0, 2000) }] }]
        : []),
      { type: 'actions', elements: buttons },
    ];
  }

  async function handle(client: WebClient, spec: ActionSpec, shortcut: MessageShortcut) {
    const m = shortcut.message;
    // A reply inside a thread is answered in that thread; a channel message in a new thread under it.
    const replyThread = typeof m.thread_ts === 'string' && m.thread_ts !== m.ts ? m.thread_ts : undefined;
    const w: Where = {
      channel: shortcut.channel.id,
      user: shortcut.user.id,
      team: shortcut.team?.id,
      thread: replyThread ?? m.ts,
    };
    const userLang = await deps.langOfUser(client, w.user);
    const isPrivate = spec.contextMenu.reply === 'private';
    try {
      const base = await deps.ctxFor(client, w);
      // Private answers: the user's own language, not the workspace's default.
      const ctx = { ...base, lang: isPrivate ? userLang : base.lang };
      const files: MessageFile[] = ((m.files ?? []) as SlackFile[]).map((f) => ({
        id: f.id,
        url: f.url_private_download ?? f.url_private,
        size: f.size,
        name: f.name,
        mime: f.mimetype,
      }));
      const req = actionRequest(spec, { text: slackPlainText(m.text ?? ''), files }, ctx.lang);
      const images: Record<string, ImageRef> = {};
      if (req.image) {
        const url = await fileUrl(client, req.image.file);
        // External files (Drive, Dropbox…) and anything else off Slack's host are never fetched.
        if (!url || !isAllowedUrl(url, deps.fileUrls)) throw new SinapsisError('message_image_elsewhere');
        images[req.image.option] = { url };
      }
      await service.check({ command: spec.name, options: req.options, images: Object.keys(images), ctx });
      if (!isPrivate) return await deps.run(client, w, spec.name, req.options, images);

      // Private: ephemerals cannot be edited, so the position at submit is posted once, then the answer.
      const inThread = replyThread ? { thread_ts: replyThread } : {};
      await runWithProgress<SlackPayload>(
        { service, states: deps.states, log },
        { command: spec.name, options: req.options, images, ctx },
        {
          download: deps.download,
          // Nothing to edit after a restart.
          open: async () => undefined,
          live: false,
          edit: (p) =>
            client.chat.postEphemeral({
              channel: w.channel,
              user: w.user,
              text: p.text,
              ...(p.blocks ? { blocks: p.blocks as never } : {}),
              ...inThread,
            }),
          progress: (text) => ({ text }),
          render: async (result, saved) => ({
            payload: {
              text: result.text.slice(0, 3000),
              blocks: privateBlocks(result, saved.stateId, w.thread!, ctx.lang),
            },
          }),
          async fail(e, shown) {
            await shown.stop();
            throw e;
          },
        },
      );
    } catch (err) {
      await deps.ephemeral(client, { ...w, thread: replyThread }, err, userLang);
    }
  }

  for (const spec of messageActions()) {
    bolt.shortcut<MessageShortcut>(
      { callback_id: shortcutCallbackId(spec), type: 'message_action' },
      async ({ shortcut, ack, client }) => {
        // Slack wants an answer within 3 s: acknowledge first, work after.
        await ack();
        void handle(client, spec, shortcut).catch((err) => log.error({ err }, 'message shortcut failed'));
      },
    );
  }

  /** "Share in the channel": the private answer, posted in the message's thread with who shared it; the ephemeral goes away. */
  bolt.action<BlockAction<ButtonAction>>(new RegExp(`^${SHARE}`), async ({ action, body, ack, client, respond }) => {
    await ack();
    const channel = body.channel?.id ?? '';
    const lang =
      (await deps.service.serverLanguage(body.team?.id ?? undefined)) ?? (await deps.langOfUser(client, body.user.id));
    try {
      await client.chat.postMessage({
        channel,
        thread_ts: action.action_id.slice(SHARE.length),
        text: `${t(lang, 'shared_translation', { user: `<@${body.user.id}>`, link: '' })}\n${action.value ?? ''}`,
      });
      await respond({ delete_original: true }).catch((err) => log.warn({ err }, 'could not remove the private answer'));
    } catch (err) {
      await deps.ephemeral(client, { channel, user: body.user.id }, err, lang);
    }
  });
}
