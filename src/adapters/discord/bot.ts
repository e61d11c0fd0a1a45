import {
  Client,
  Events,
  GatewayIntentBits,
  MessageFlags,
  PermissionFlagsBits,
  REST,
  Routes,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type InteractionEditReplyOptions,
  type RepliableInteraction,
} from 'discord.js';
import { adminSpec } from '../../../commands/index.js';
import type { App } from '../../core/app.js';
import type { RequestContext } from '../../core/service.js';
import { asSinapsisError, SinapsisError } from '../../errors.js';
import { langOf, type Lang } from '../../i18n/locale.js';
import { pressButton, runWithProgress, type ButtonPress, type ImageRef } from '../chat-flow.js';
import { downloadUserFile, isAllowedUrl } from '../download.js';
import { contextMenu, isShareButton, type RunDeferred } from './context-menu.js';
import { registerDiscordRecovery } from './recovered.js';
import { registrationHash, registrationPayload } from './registration.js';
import { MAX_CONTENT, resultButtons, resultMessage, splitContent } from './reply.js';

export interface DiscordBot {
  client: Client;
  stop(): Promise<void>;
}

/** Bulk-overwrites the slash commands from the specs: in one guild (instant) or globally. */
export async function registerCommands(opts: {
  token: string;
  applicationId: string;
  guildId?: string;
  apiUrl: string;
  adminCommand: string;
}) {
  const rest = new REST({ api: opts.apiUrl }).setToken(opts.token);
  const route = opts.guildId
    ? Routes.applicationGuildCommands(opts.applicationId, opts.guildId)
    : Routes.applicationCommands(opts.applicationId);
  return rest.put(route, { body: registrationPayload(adminSpec(opts.adminCommand)) });
}

/** The thin Discord adapter: interactions in, the same service as every adapter, replies out. */
export async function startDiscord(app: App): Promise<DiscordBot> {
  const { config, service, logger } = app;
  const log = logger.child({ adapter: 'discord' });
  const token = config.DISCORD_TOKEN!;
  const states = app.stores.interactions;
  const kv = app.stores.kv;
  const uploadLimit = config.DISCORD_UPLOAD_LIMIT_MB * 1024 * 1024;

  // Slash commands need no privileged intent; Guilds gives guild locales and channels.
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: config.DISCORD_API_URL } });

  // Private answers follow the user's Discord language; public ones the server's default when a moderator set one.
  const langFor = (i: Interaction): Lang => langOf(i.locale ?? i.guildLocale, 'en');
  const publicLang = async (i: Interaction): Promise<Lang> =>
    (await service.serverLanguage(i.guildId ?? undefined)) ?? langFor(i);
  const ctxFor = async (i: Interaction): Promise<RequestContext> => ({
    platform: 'discord',
    userId: i.user.id,
    serverId: i.guildId ?? undefined,
    channelId: i.channelId ?? undefined,
    roles:
      i.inGuild() && Array.isArray(i.member?.roles)
        ? (i.member.roles as string[])
        : i.inCachedGuild()
          ? [...i.member.roles.cache.keys()]
          : [],
    // Registration hides the admin command from others, but a server can change who sees it: check again.
    isAdmin: Boolean(i.inGuild() && i.memberPermissions?.has(PermissionFlagsBits.ManageGuild)),
    lang: await publicLang(i),
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
    if ((ref.size ?? 0) > maxBytes)
      throw new SinapsisError('upload_too_large', { limit: Math.round(maxBytes / 1024 / 1024) });
    return downloadUserFile(ref.url, {
      allowedPrefixes: config.DISCORD_CDN_URLS,
      maxBytes,
      timeoutMs: config.CHAT_DOWNLOAD_TIMEOUT_S * 1000,
    });
  }

  /** After the defer: the shared chat flow, in the deferred reply (edited in place), then the result with its buttons. */
  const runDeferred: RunDeferred = async (i, command, options, images, opts = {}) => {
    const ctx = { ...(await ctxFor(i)), ...(opts.lang ? { lang: opts.lang } : {}) };
    return runWithProgress<InteractionEditReplyOptions>(
      { service, states, log },
      { command, options, images, ctx },
      {
        download,
        // The interaction token can edit this reply for 15 minutes, from a restarted bot too.
        open: async () => ({ applicationId: i.applicationId, token: i.token, ephemeral: i.ephemeral ?? false }),
        edit: (p) => i.editReply(p),
        // Long generations grow in place; the final reply splits past 2000 characters.
        progress: (content) => ({ content }),
        maxChars: MAX_CONTENT,
        async render(result, saved) {
          const msg = await resultMessage(result, uploadLimit);
          const components =
            opts.components?.(saved.stateId, ctx.lang, msg.overflow.length === 0) ??
            resultButtons(command, options, saved.stateId, ctx.lang, saved.followUps());
          return {
            payload: { content: msg.content, files: msg.files, components },
            // The rest of a private answer stays private.
            after: async () => {
              for (const part of msg.overflow)
                await i.followUp({ content: part, ...(i.ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
            },
          };
        },
        async fail(e, shown) {
          if (e.code === 'internal') log.error({ err: e.cause ?? e }, 'command failed');
          await shown
            .final({ content: errorText(e, ctx.lang), files: [], components: [] })
            .catch((err) => log.warn({ err }, 'could not edit the reply with the error'));
        },
      },
    );
  };

  /** The moderators' command: answered at once and privately; the service refuses non-moderators. */
  async function onAdmin(i: ChatInputCommandInteraction) {
    const sub = i.options.data[0];
    const options = Object.fromEntries((sub?.options ?? []).map((o) => [o.name, o.value]));
    try {
      const result = await service.admin({
        sub: sub?.name ?? '',
        options,
        ctx: { ...(await ctxFor(i)), lang: langFor(i) },
      });
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
      await service.check({ command: i.commandName, options, images: Object.keys(images), ctx: await ctxFor(i) });
      for (const ref of Object.values(images))
        if (!isAllowedUrl(ref.url, config.DISCORD_CDN_URLS)) throw new SinapsisError('attachment_refused');
    } catch (err) {
      return refuse(i, err);
    }
    await i.deferReply();
    await runDeferred(i, i.commandName, options, images);
  }

  async function onButton(i: ButtonInteraction) {
    let press: ButtonPress;
    try {
      press = await pressButton({ states, models: app.models }, i.customId, i.user.id, langFor(i));
      if (press.kind === 'rerun')
        await service.check({
          command: press.command,
          options: press.options,
          images: Object.keys(press.images),
          ctx: await ctxFor(i),
        });
    } catch (err) {
      return refuse(i, err);
    }
    switch (press.kind) {
      case 'delete':
        await i.deferUpdate();
        await i.deleteReply();
        return;
      case 'explain':
        await i.reply({ content: splitContent(press.text)[0]!, flags: MessageFlags.Ephemeral });
        return;
      case 'rerun':
        await i.deferReply();
        await runDeferred(i, press.command, press.options, press.images);
    }
  }

  const menu = contextMenu({
    service,
    cdnUrls: config.DISCORD_CDN_URLS,
    langFor,
    publicLang,
    ctxFor,
    refuse,
    runDeferred,
  });

  client.on(Events.InteractionCreate, (i) => {
    const work = i.isChatInputCommand()
      ? onCommand(i)
      : i.isMessageContextMenuCommand()
        ? menu.onMessageCommand(i)
        : i.isButton()
          ? isShareButton(i.customId)
            ? menu.onShare(i)
            : onButton(i)
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
    if ((await kv.get('discord:commands')) !== hash) {
      await registerCommands({
        token,
        applicationId,
        guildId: config.DISCORD_GUILD_ID,
        apiUrl: config.DISCORD_API_URL,
        adminCommand: config.SINAPSIS_ADMIN_COMMAND,
      })
        .then(async () => {
          await kv.set('discord:commands', hash);
          log.info({ scope }, 'slash commands registered');
        })
        .catch((err) => log.error({ err }, 'slash command registration failed'));
    }
  }
  const purge = setInterval(() => void states.purge().catch(() => undefined), 3600_000).unref();
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
