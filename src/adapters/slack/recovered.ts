import type { WebClient } from '@slack/web-api';
import { findCommand } from '../../../commands/index.js';
import type { App } from '../../core/app.js';
import type { RecoveredOutcome } from '../../core/service.js';
import { langOf, type Lang } from '../../i18n/locale.js';
import type { AcceptedJob } from '../../store/accepted-jobs.js';
import type { TaskResult } from '../../tasks/types.js';

/**
 * How Slack answers jobs a crashed process accepted and never answered (the service decides
 * which are re-run): the "working…" placeholder recorded at submit is updated with the result and
 * its buttons (images uploaded in its thread), or with the error / "the bot restarted" notice.
 * A placeholder can be updated at any time, so every job with a request is re-run.
 */
export function registerSlackRecovery(
  app: App,
  client: WebClient,
  deps: {
    download(url: string, maxBytes: number): Promise<Buffer>;
    /** The adapter's own result blocks (buttons saved for this user). */
    blocks(
      result: TaskResult,
      command: string,
      options: Record<string, unknown>,
      lang: Lang,
      userId: string,
      imageUrl?: string,
    ): Promise<unknown[]>;
  },
): Promise<void> {
  const log = app.logger.child({ adapter: 'slack' });

  async function deliver(job: AcceptedJob, outcome: RecoveredOutcome) {
    const r = (job.reply ?? {}) as { channel?: string; ts?: string; lang?: string; thread?: string };
    if (!r.channel || !r.ts) return;
    const lang = langOf(r.lang, 'es');
    if ('error' in outcome) {
      await client.chat.update({
        channel: r.channel,
        ts: r.ts,
        text: `⚠️ ${outcome.error.localized(lang)}`,
        blocks: [],
      });
      return;
    }
    const { result } = outcome;
    await client.chat.update({
      channel: r.channel,
      ts: r.ts,
      text: result.text.slice(0, 3000),
      blocks: (await deps.blocks(
        result,
        job.command,
        job.request?.options ?? {},
        lang,
        job.userId,
        Object.values(job.request?.images ?? {})[0]?.url as string | undefined,
      )) as never,
    });
    if (result.images.length) {
      await client.filesUploadV2({
        channel_id: r.channel,
        thread_ts: r.thread ?? r.ts,
        file_uploads: result.images.map((img) => ({
          file: img.data,
          filename: img.name,
          alt_text: img.alt.slice(0, 1000),
        })),
      } as never);
    }
  }

  return app.service.onRecovered('slack', {
    replyTtlMs: Number.POSITIVE_INFINITY,
    images: async (job) => {
      const out: Record<string, Buffer> = {};
      for (const [name, ref] of Object.entries(job.request?.images ?? {})) {
        const o = findCommand(job.command)?.options.find((x) => x.name === name);
        if (typeof ref.url === 'string') out[name] = await deps.download(ref.url, o?.type === 'image' ? o.maxBytes : 0);
      }
      return out;
    },
    deliver: (job, outcome) =>
      deliver(job, outcome).catch((err) =>
        log.warn({ err: String(err) }, 'could not answer a job interrupted by the restart'),
      ),
  });
}
