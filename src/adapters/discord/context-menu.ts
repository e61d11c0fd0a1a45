// Discord message context menus (application command type 3), generated from
// the specs' `contextMenu`: right-click a message → Apps → "Traducir",
// "Detectar caras", "Colorear", "Explicar esta imagen".
import {
  ActionRowBuilder,
  ApplicationCommandType,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  type ButtonInteraction,
  type Interaction,
  type MessageContextMenuCommandInteraction,
  type RepliableInteraction,
} from 'discord.js';
import { COMMANDS } from '../../../commands/index.js';
import type { CommandSpec } from '../../../commands/spec.js';
import type { RequestContext, Service } from '../../core/service.js';
import { SinapsisError } from '../../errors.js';
import type { Lang } from '../../i18n/locale.js';
import { t } from '../../i18n/messages.js';
import { customId } from '../buttons.js';
import type { ImageRef } from '../chat-flow.js';
import { isAllowedUrl } from '../download.js';
import { actionRequest, discordPlainText, messageActions, type ActionSpec } from '../message-action.js';
import { splitContent } from './reply.js';

/** Discord allows at most this many message commands per application (and per guild). */
export const MAX_MESSAGE_COMMANDS = 5;

/** One spec's message command: the en-US name is the canonical one Discord sends back in interactions. */
export function discordMessageCommand(spec: ActionSpec) {
  const names = spec.contextMenu.names;
  return {
    name: names['en-US'],
    name_localizations: { 'en-US': names['en-US'], 'es-ES': names['es-ES'], 'es-419': names['es-419'] },
    type: ApplicationCommandType.Message,
    contexts: [0, 1],
    integration_types: [0],
  };
}

export function messageCommandsPayload(specs: readonly CommandSpec[] = COMMANDS) {
  const actions = messageActions(specs);
  // Discord would refuse the whole bulk overwrite; fail here with the reason instead.
  if (actions.length > MAX_MESSAGE_COMMANDS) {
    throw new Error(
      `Discord allows ${MAX_MESSAGE_COMMANDS} message commands; the specs declare ${actions.length} (${actions.map((a) => a.name).join(', ')})`,
    );
  }
  return actions.map(discordMessageCommand);
}

export function findMessageAction(commandName: string): ActionSpec | undefined {
  return messageActions().find((s) => s.contextMenu.names['en-US'] === commandName);
}

const SHARE = 'sxshare:';
export const isShareButton = (id: string) => id.startsWith(SHARE);

/**
 * Under a private translation: share it in the channel (when it fits in the
 * one message the button can repost), or ask which network made it.
 */
function privateButtons(targetMessageId: string, stateId: string, lang: Lang, whole: boolean) {
  const row = new ActionRowBuilder<ButtonBuilder>();
  if (whole)
    row.addComponents(
      new ButtonBuilder()
        .setCustomId(`${SHARE}${targetMessageId}`)
        .setLabel(t(lang, 'button_share'))
        .setStyle(ButtonStyle.Primary),
    );
  row.addComponents(
    new ButtonBuilder()
      .setCustomId(customId('explain', stateId))
      .setLabel(t(lang, 'button_explain'))
      .setStyle(ButtonStyle.Secondary),
  );
  return [row];
}

export interface ContextMenuDeps {
  service: Service;
  cdnUrls: readonly string[];
  /** The user's own language (private answers). */
  langFor(i: Interaction): Lang;
  /** The language of public answers: the server's default when a moderator set one. */
  publicLang(i: Interaction): Promise<Lang>;
  ctxFor(i: Interaction): Promise<RequestContext>;
  refuse(i: RepliableInteraction, err: unknown): Promise<void>;
  runDeferred: RunDeferred;
}

/** Message actions: a private answer in the user's own language, with its own buttons. */
export interface DeferredReplyOptions {
  lang?: Lang;
  components?: (stateId: string, lang: Lang, whole: boolean) => ActionRowBuilder<ButtonBuilder>[];
}

/** The slash commands' path after the defer: the shared chat flow (download, queue, progress, result). */
export type RunDeferred = (
  i: RepliableInteraction,
  command: string,
  options: Record<string, unknown>,
  images: Record<string, ImageRef>,
  opts?: DeferredReplyOptions,
) => Promise<void>;

export function contextMenu(deps: ContextMenuDeps) {
  /**
   * The message's text or first image, through the same gate as the slash
   * command (its switches, roles and limits), refused privately before any
   * work; then the same deferred path. Private actions answer ephemerally in
   * the user's own language (the platform locale, not the channel's).
   */
  async function onMessageCommand(i: MessageContextMenuCommandInteraction) {
    const spec = findMessageAction(i.commandName);
    if (!spec)
      return deps.refuse(
        i,
        new SinapsisError('unknown_command', {
          name: i.commandName,
          available: messageActions()
            .map((s) => s.contextMenu.names['en-US'])
            .join(', '),
        }),
      );
    const isPrivate = spec.contextMenu.reply === 'private';
    const lang = isPrivate ? deps.langFor(i) : await deps.publicLang(i);
    const ctx = { ...(await deps.ctxFor(i)), lang };
    const target = i.targetMessage;
    let options: Record<string, unknown>;
    const images: Record<string, ImageRef> = {};
    try {
      const files = [...target.attachments.values()].map((a) => ({
        url: a.url,
        size: a.size,
        name: a.name,
        mime: a.contentType ?? undefined,
      }));
      const req = actionRequest(spec, { text: discordPlainText(target.content ?? ''), files }, lang);
      options = req.options;
      if (req.image) {
        const { url = '', size = 0 } = req.image.file;
        // A link shown as an image is not Discord's file: never fetched.
        if (!isAllowedUrl(url, deps.cdnUrls)) throw new SinapsisError('message_image_elsewhere');
        images[req.image.option] = { url, size };
      }
      await deps.service.check({ command: spec.name, options, images: Object.keys(images), ctx });
    } catch (err) {
      return deps.refuse(i, err);
    }
    await i.deferReply(isPrivate ? { flags: MessageFlags.Ephemeral } : {});
    await deps.runDeferred(i, spec.name, options, images, {
      lang,
      ...(isPrivate
        ? { components: (stateId: string, l: Lang, whole: boolean) => privateButtons(target.id, stateId, l, whole) }
        : {}),
    });
  }

  /** "Share in the channel": the private answer, posted publicly once, with who shared it and a link to the original. */
  async function onShare(i: ButtonInteraction) {
    const messageId = i.customId.slice(SHARE.length);
    const link =
      i.guildId && i.channelId ? `https://discord.com/channels/${i.guildId}/${i.channelId}/${messageId}` : '';
    const header = t(await deps.publicLang(i), 'shared_translation', { user: `<@${i.user.id}>`, link });
    await i.update({ components: [] });
    await i.followUp({ content: splitContent(`${header}\n${i.message.content}`)[0]!, allowedMentions: { parse: [] } });
  }

  return { onMessageCommand, onShare };
}
