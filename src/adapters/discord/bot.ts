import {
  Client,
  Events,
  GatewayIntentBits,
  MessageFlags,
  PermissionFlagsBits,
  REST,
  Routes,
  type ActionRowBuilder as ActionRow,
  type ButtonBuilder,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type InteractionEditReplyOptions,
  type RepliableInteraction,
} from 'discord.js';
import { adminSpec, findCommand } from '../../../commands/index.js';
import type { App } from '../../core/app.js';
import type { RequestContext } from '../../core/service.js';
import { asSinapsisError, SinapsisError } from '../../errors.js';
import { langOf, type Lang } from '../../i18n/locale.js';
import { t } from '../../i18n/messages.js';
import { InteractionStates } from '../../store/interaction-state.js';
import { KeyValue } from '../../store/kv.js';
import { downloadUserFile, isAllowedUrl } from '../download.js';
import { explainResult } from '../result-explainer.js';
import { progressText } from '../progress-text.js';
import { ReplyEditor } from '../reply-editor.js';
import { followUpButtons, rerunOptions } from '../buttons.js';
import { contextMenu, isShareButton } from './context-menu.js';
import { registerDiscordRecovery } from './recovered.js';
import { registrationHash, registrationPayload } from './registration.js';
import { MAX_CONTENT, parseCustomId, resultButtons, resultMessage, splitContent } from './reply.js';

type ImageRef = {
  url: string;
  size: number;
};

export interface DiscordBot {
  client: Client;
  stop(): Promise<void>;
}

/** Bulk-overwrites the slash commands from the specs: in one guild (instant) or globally. */
export async function registerCommands(opts: { token: string; applicationId: string; guildId?: string; apiUrl: string; adminCommand: string }) {
  const rest = new REST({ api: opts.apiUrl }).setToken(opts.token);
  const route = opts.guildId ? Routes.applicationGuildCommands(opts.applicationId, opts.guildId) : Routes.applicationCommands(opts.applicationId);
  return rest.put(route, { body: registrationPayload(adminSpec(opts.adminCommand)) });
}

/** The thin Discord adapter: interactions in, the same service as every adapter, replies out. */
export async function startDiscord(app: App): Promise<DiscordBot> {
  const { config, service, logger } = app;
  const log = logger.child({ adapter: 'discord' });
  const token = config.DISCORD_TOKEN!;
  const states = new InteractionStates(app.db);
  const kv = new KeyValue(app.db);
  const uploadLimit = config.DISCORD_UPLOAD_LIMIT_MB * 1024 * 1024;

  // Slash commands need no privileged intent; Guilds gives guild locales and channels.
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: config.DISCORD_API_URL } });

  // Private answers follow the user's Discord language; public ones the server's default when a moderator set one.
  const langFor = (i: Interaction): Lang => langOf(i.locale ?? i.guildLocale, 'en');
  const publicLang = (i: Interaction): Lang => service.serverLanguage(i.guildId ?? undefined) ?? langFor(i);
  const ctxFor = (i: Interaction): RequestContext => ({
    platform: 'discord',
    userId: i.user.id,
    serverId: i.guildId ?? undefined,
    channelId: i.channelId ?? undefined,
    roles: i.inGuild() && Array.isArray(i.member?.roles) ? (i.member.roles as string[]) : i.inCachedGuild() ? [...i.member.roles.cache.keys()] : [],
    // Registration hides the admin command from others, but a server can change who sees it: check again.
    isAdmin: Boolean(i.inGuild() && i.memberPermissions?.has(PermissionFlagsBits.ManageGuild)),
    lang: publicLang(i),
  });
  const errorText = (err: SinapsisError, lang: Lang) => `⚠️ ${err.localized(lang)}`;

  async function refuse(i: RepliableInteraction, err: unknown) {
    const e = asSinapsisError(err);
    if (e.code === 'internal') log.error({ err: e.cause ?? e }, 'interaction failed');
    const content = errorText(e, langFor(i));
    if (i.deferred || i.replied) await i.editReply({ content, files: [], components: [] });
    else await i.reply({ content, flags: MessageFlags.Ephemeral });
  }

  async function download(ref: ImageRef, maxBytes: number): Promise<Buffer> {
    if (ref.size > maxBytes) throw new SinapsisError('upload_too_large', { limit: Math.round(maxBytes / 1024 / 1024) });
    return downloadUserFile(ref.url, { allowedPrefixes: config.DISCORD_CDN_URLS, maxBytes, timeoutMs: config.CHAT_DOWNLOAD_TIMEOUT_S * 1000 });
  }

  /** After the defer: fetch images, queue, show the position, then the result with its buttons. */
  async function runDeferred(
    i: RepliableInteraction,
    command: string,
    options: Record<string, unknown>,
    images: Record<string, ImageRef>,
    // Message actions: a private answer in the user's own language, with its own buttons.
    opts: { lang?: Lang; components?: (stateId: string, lang: Lang, whole: boolean) => ActionRow<ButtonBuilder>[] } = {},
  ) {
    const base = { ...ctxFor(i), ...(opts.lang ? { lang: opts.lang } : {}) };
    // Lets a restarted bot re-run the job and edit this reply (the token is valid 15 min) if the
    // process dies first (issue 12 item 6: src/adapters/discord/recovered.ts).
    const ctx: RequestContext = { ...base, reply: { applicationId: i.applicationId, token: i.token, lang: base.lang, ephemeral: i.ephemeral ?? false }, imageRefs: { ...images } };
    const spec = findCommand(command)!;
    const editor = new ReplyEditor<InteractionEditReplyOptions>((p) => i.editReply(p), (content) => ({ content }), 1000, (err) => log.warn({ err }, 'progress edit failed'));
    try {
      const bytes: Record<string, Buffer> = {};
      for (const [name, ref] of Object.entries(images)) {
        const o = spec.options.find((x) => x.name === name);
        bytes[name] = await download(ref, o?.type === 'image' ? o.maxBytes : 0);
      }
      const handle = service.submit(
        { command, options, images: bytes, ctx },
        {
          onPosition: (position) => editor.progress(`⏳ ${t(ctx.lang, 'queued', { position })}`),
          // Long generations grow in place, one edit a second at most; the final reply splits past 2000 characters.
          onProgress: (p) => editor.progress(progressText(p, ctx.lang, MAX_CONTENT)),
        },
      );
      if (handle.position() > 0) editor.progress(`⏳ ${t(ctx.lang, 'queued', { position: handle.position() })}`);
      const result = await handle.result;
      const stateId = states.save({ platform: 'discord', userId: ctx.userId, command, options, imageUrl: Object.values(images)[0]?.url, model: result.model });
      const follow = followUpButtons(result.followUps, (o) => states.save({ platform: 'discord', userId: ctx.userId, command, options: o }));
      const msg = await resultMessage(result, uploadLimit);
      await editor.final({ content: msg.content, files: msg.files, components: opts.components?.(stateId, ctx.lang, msg.overflow.length === 0) ?? resultButtons(command, options, stateId, ctx.lang, follow) });
      // The rest of a private answer stays private.
      for (const part of msg.overflow) await i.followUp({ content: part, ...(i.ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
    } catch (err) {
      const e = asSinapsisError(err);
      if (e.code === 'internal') log.error({ err: e.cause ?? e }, 'command failed');
      await editor.final({ content: errorText(e, ctx.lang), files: [], components: [] }).catch((err2) => log.warn({ err: err2 }, 'could not edit the reply with the error'));
    }
  }

  /** The moderators' command: answered at once and privately; the service refuses non-moderators. */
  async function onAdmin(i: ChatInputCommandInteraction) {
    const sub = i.options.data[0];
    const options = Object.fromEntries((sub?.options ?? []).map((o) => [o.name, o.value]));
    try {
      const result = service.admin({ sub: sub?.name ?? '', options, ctx: { ...ctxFor(i), lang: langFor(i) } });
      await i.reply({ content: splitContent(result.text)[0]!, flags: MessageFlags.Ephemeral });
    } catch (err) {
      await refuse(i, err);
    }
  }

  async function onCommand(i: ChatInputCommandInteraction) {
    if (i.commandName === config.SINAPSIS_ADMIN_COMMAND) return onAdmin(i);
    const options: Record<string, unknown> = {};
    const images: Record<string, ImageRef> = {};
    for (const o of i.options.data) {
      if (o.attachment) images[o.name] = { url: o.attachment.url, size: o.attachment.size };
      else options[o.name] = o.value;
    }
    try {
      // Everything that can be refused without work is refused now, privately.
      service.check({ command: i.commandName, options, images: Object.fromEntries(Object.keys(images).map((k) => [k, Buffer.alloc(0)])), ctx: ctxFor(i) });
      for (const ref of Object.values(images)) if (!isAllowedUrl(ref.url, config.DISCORD_CDN_URLS)) throw new SinapsisError('attachment_refused');
    } catch (err) {
      return refuse(i, err);
    }
    await i.deferReply();
    await runDeferred(i, i.commandName, options, images);
  }

  async function onButton(i: ButtonInteraction) {
    const parsed = parseCustomId(i.customId);
    const state = parsed && states.get(parsed.stateId);
    if (!parsed || !state) return refuse(i, new SinapsisError('button_expired'));
    const lang = langFor(i);
    switch (parsed.action) {
      case 'delete':
        if (i.user.id !== state.userId) return refuse(i, new SinapsisError('not_your_button'));
        await i.deferUpdate();
        await i.deleteReply();
        return;
      case 'explain':
        await i.reply({ content: splitContent(explainResult(app.models, state.command, state.model, lang))[0]!, flags: MessageFlags.Ephemeral });
        return;
      default: {
        const options = rerunOptions(parsed.action, state.options);
        const images: Record<string, ImageRef> = state.imageUrl ? { image: { url: state.imageUrl, size: 0 } } : {};
        try {
          service.check({ command: state.command, options, images: state.imageUrl ? { image: Buffer.alloc(0) } : {}, ctx: ctxFor(i) });
        } catch (err) {
          return refuse(i, err);
        }
        await i.deferReply();
        await runDeferred(i, state.command, options, images);
      }
    }
  }

  const menu = contextMenu({ service, cdnUrls: config.DISCORD_CDN_URLS, langFor, publicLang, ctxFor, refuse, runDeferred });

  client.on(Events.InteractionCreate, (i) => {
    const work = i.isChatInputCommand()
      ? onCommand(i)
      : i.isMessageContextMenuCommand()
        ? menu.onMessageCommand(i)
        : i.isButton()
          ? isShareButton(i.customId) ? menu.onShare(i) : onButton(i)
          : Promise.resolve();
    // One failing interaction (even a failed reply to Discord) must never take the bot down.
    work.catch((err) => log.error({ err }, 'interaction handler failed'));
  });
  client.once(Events.ClientReady, (c) => log.info({ user: c.user.tag, guilds: c.guilds.cache.size }, 'Discord ready'));
  client.on(Events.ShardDisconnect, (_e, id) => log.warn({ shard: id }, 'Discord disconnected; discord.js reconnects'));
  client.on(Events.ShardResume, (id) => log.info({ shard: id }, 'Discord resumed'));
  client.on(Events.Error, (err) => log.error({ err }, 'Discord client error'));

  await client.login(token);

  // Re-register only when the specs (or the scope) changed since the last registration.
  const applicationId = config.DISCORD_APPLICATION_ID ?? client.application?.id;
  if (applicationId) {
    const scope = config.DISCORD_GUILD_ID ? `guild:${config.DISCORD_GUILD_ID}` : 'global';
    const hash = registrationHash(`${applicationId}:${scope}`, adminSpec(config.SINAPSIS_ADMIN_COMMAND));
    if (kv.get('discord:commands') !== hash) {
      await registerCommands({ token, applicationId, guildId: config.DISCORD_GUILD_ID, apiUrl: config.DISCORD_API_URL, adminCommand: config.SINAPSIS_ADMIN_COMMAND })
        .then(() => {
          kv.set('discord:commands', hash);
          log.info({ scope }, 'slash commands registered');
        })
        .catch((err) => log.error({ err }, 'slash command registration failed'));
    }
  }
  const purge = setInterval(() => states.purge(), 3600_000).unref();
  // Jobs a crashed process left unanswered: re-run (edit the reply with the result) or "the bot restarted".
  void registerDiscordRecovery(app, client, { states, uploadLimit, download });

  return {
    client,
    async stop() {
      clearInterval(purge);
      await client.destroy();
    },
  };
}
