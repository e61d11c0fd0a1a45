import { Routes, type Client } from 'discord.js';
import { findCommand } from '../../../commands/index.js';
import type { App } from '../../core/app.js';
import type { RecoveredOutcome } from '../../core/service.js';
import { langOf } from '../../i18n/locale.js';
import type { AcceptedJob } from '../../store/accepted-jobs.js';
import type { InteractionStateStore } from '../../store/stores.js';
import { followUpButtons } from '../buttons.js';
import { resultButtons, resultMessage } from './reply.js';

/** An interaction token edits its reply for 15 minutes after the interaction. */
const TOKEN_LIFETIME_MS = 15 * 60_000;

interface Reply {
  applicationId?: string;
  token?: string;
  lang?: string;
  ephemeral?: boolean;
}

/**
 * How Discord answers jobs a crashed process accepted and never answered (the service decides
 * which are re-run): the interaction token recorded at submit edits the original "thinking…"
 * reply with the result and its buttons, or with the error / "the bot restarted" notice.
 */
export function registerDiscordRecovery(
  app: App,
  client: Client,
  deps: {
    states: InteractionStateStore;
    uploadLimit: number;
    download(ref: { url: string; size: number }, maxBytes: number): Promise<Buffer>;
  },
): Promise<void> {
  const log = app.logger.child({ adapter: 'discord' });
  const route = (r: Reply) => Routes.webhookMessage(r.applicationId!, r.token!, '@original');

  async function deliver(job: AcceptedJob, outcome: RecoveredOutcome) {
    const r = (job.reply ?? {}) as Reply;
    if (!r.applicationId || !r.token) return;
    const lang = langOf(r.lang, 'es');
    if ('error' in outcome) {
      await client.rest.patch(route(r), {
        body: { content: `⚠️ ${outcome.error.localized(lang)}`, components: [], attachments: [] },
        auth: false,
      });
      return;
    }
    const { result } = outcome;
    const options = job.request?.options ?? {};
    const imageUrl = Object.values(job.request?.images ?? {})[0]?.url as string | undefined;
    const stateId = await deps.states.save({
      platform: 'discord',
      userId: job.userId,
      command: job.command,
      options,
      imageUrl,
      model: result.model,
    });
    const follow = await followUpButtons(result.followUps, (o) =>
      deps.states.save({ platform: 'discord', userId: job.userId, command: job.command, options: o }),
    );
    const msg = await resultMessage(result, deps.uploadLimit);
    const files = msg.files.map((f) => ({ name: f.name ?? 'image.png', data: f.attachment as Buffer }));
    const components = resultButtons(job.command, options, stateId, lang, follow).map((row) => row.toJSON());
    await client.rest.patch(route(r), {
      body: { content: msg.content, components, attachments: files.map((f, id) => ({ id, filename: f.name })) },
      files,
      auth: false,
    });
    for (const part of msg.overflow) {
      await client.rest.post(Routes.webhook(r.applicationId, r.token), {
        body: { content: part, ...(r.ephemeral ? { flags: 64 } : {}) },
        auth: false,
      });
    }
  }

  return app.service.onRecovered('discord', {
    replyTtlMs: TOKEN_LIFETIME_MS,
    images: async (job) => {
      const out: Record<string, Buffer> = {};
      for (const [name, ref] of Object.entries(job.request?.images ?? {})) {
        const o = findCommand(job.command)?.options.find((x) => x.name === name);
        if (typeof ref.url === 'string')
          out[name] = await deps.download(
            { url: ref.url, size: Number(ref.size) || 0 },
            o?.type === 'image' ? o.maxBytes : 0,
          );
      }
      return out;
    },
    deliver: (job, outcome) =>
      deliver(job, outcome).catch((err) =>
        log.warn({ err: String(err) }, 'could not answer a job interrupted by the restart'),
      ),
  });
}
