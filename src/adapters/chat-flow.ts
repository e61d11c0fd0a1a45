// The one path a chat request takes once its platform acknowledged it, shared by
// Discord and Slack (slash commands, buttons, message actions): fetch the user's
// images → submit → queue position → progress (streamed text, model downloads)
// → saved button state → final reply, or the failure. A platform adds only its
// own event → request mapping and a `ChatReply`: how its message is opened,
// edited, rendered and failed.
import type pino from 'pino';
import { findCommand } from '../../commands/index.js';
import type { RequestContext, Service } from '../core/service.js';
import { asSinapsisError, SinapsisError } from '../errors.js';
import type { Lang } from '../i18n/locale.js';
import { t } from '../i18n/messages.js';
import type { ModelRegistry } from '../models/registry.js';
import type { InteractionStateStore } from '../store/stores.js';
import type { TaskResult } from '../tasks/types.js';
import { followUpButtons, parseCustomId, rerunOptions } from './buttons.js';
import { progressText } from './progress-text.js';
import { ReplyEditor } from './reply-editor.js';
import { explainResult } from './result-explainer.js';

/** A user's file where the platform keeps it; `size` when the platform says it up front. */
export interface ImageRef {
  url: string;
  size?: number;
}

export interface ChatRequest {
  command: string;
  options: Record<string, unknown>;
  /** Image options by name. */
  images: Record<string, ImageRef>;
  /** Who asks and in which language the answer goes; the flow adds `reply`. */
  ctx: RequestContext;
}

/** The states the result's buttons point at: its own, and (on demand) the task's follow-ups. */
export interface SavedResult {
  stateId: string;
  followUps(): { label: string; id: string }[];
}

/** The edits the flow makes to the message that stands for the request, in order. */
export interface ShownReply<P> {
  final(payload: P): Promise<unknown>;
  /** No more edits; resolves once those already sent are done. */
  stop(): Promise<void>;
}

/** What a platform supplies: its message for this request and how a payload looks there. */
export interface ChatReply<P> {
  /** Fetches one of the user's files from the platform (its hosts, its auth), within `maxBytes`. */
  download(ref: ImageRef, maxBytes: number): Promise<Buffer>;
  /**
   * The message that stands for the request, once its images are in (a Slack placeholder;
   * Discord deferred already). Returns what a restarted bot needs to edit it (`ctx.reply`).
   */
  open(): Promise<Record<string, unknown> | undefined>;
  edit(payload: P): Promise<unknown>;
  /** A progress line (queue position, streamed text, model download) as a payload. */
  progress(text: string): P;
  /** The most characters one progress edit may hold. */
  maxChars?: number;
  /** False where the message cannot be edited (Slack ephemerals): only the position at submit is shown. */
  live?: boolean;
  /** The final reply; `after` runs once it is shown (overflow parts, uploads). */
  render(result: TaskResult, saved: SavedResult): Promise<{ payload: P; after?: () => Promise<unknown> }>;
  /** How a failure shows: edit the reply into the error, or clean up and rethrow to the caller. */
  fail(err: SinapsisError, shown: ShownReply<P>): Promise<void>;
}

export interface ChatFlowDeps {
  service: Service;
  states: InteractionStateStore;
  log: pino.Logger;
}

const queued = (lang: Lang, position: number) => `⏳ ${t(lang, 'queued', { position })}`;

/** Runs one request through the queue, keeping the platform's message up to date, then answers. */
export async function runWithProgress<P>(deps: ChatFlowDeps, req: ChatRequest, reply: ChatReply<P>): Promise<void> {
  const { command, options, ctx } = req;
  // Progress at most once a second; the final reply always lands last.
  const editor = new ReplyEditor<P>(
    (p) => reply.edit(p),
    (text) => reply.progress(text),
    1000,
    (err) => deps.log.warn({ err }, 'progress edit failed'),
  );
  try {
    const images = await fetchImages(command, req.images, reply);
    const restart = await reply.open();
    // Lets a restarted bot re-run the job from these references (never the bytes) and edit this
    // reply, if the process dies before it is answered (src/adapters/*/recovered.ts).
    const imageRefs = Object.fromEntries(Object.entries(req.images).map(([name, ref]) => [name, { ...ref }]));
    const withReply: RequestContext = restart ? { ...ctx, reply: { ...restart, lang: ctx.lang }, imageRefs } : ctx;
    const live = reply.live !== false;
    const handle = await deps.service.submit(
      { command, options, images, ctx: withReply },
      live
        ? {
            onPosition: (position) => editor.progress(queued(ctx.lang, position)),
            onProgress: (p) => editor.progress(progressText(p, ctx.lang, reply.maxChars)),
          }
        : undefined,
    );
    if (handle.position() > 0) editor.progress(queued(ctx.lang, handle.position()));
    const result = await handle.result;
    const save = (o: Record<string, unknown>, extra: { imageUrl?: string; model?: string } = {}) =>
      deps.states.save({ platform: ctx.platform, userId: ctx.userId, command, options: o, ...extra });
    const stateId = await save(options, { imageUrl: Object.values(req.images)[0]?.url, model: result.model });
    const follow = await followUpButtons(result.followUps, (o) => save(o));
    const shown = await reply.render(result, { stateId, followUps: () => follow });
    await editor.final(shown.payload);
    await shown.after?.();
  } catch (err) {
    await reply.fail(asSinapsisError(err), editor);
  }
}

async function fetchImages(
  command: string,
  refs: Record<string, ImageRef>,
  reply: Pick<ChatReply<unknown>, 'download'>,
): Promise<Record<string, Buffer>> {
  const spec = findCommand(command);
  const bytes: Record<string, Buffer> = {};
  for (const [name, ref] of Object.entries(refs)) {
    const o = spec?.options.find((x) => x.name === name);
    bytes[name] = await reply.download(ref, o?.type === 'image' ? o.maxBytes : 0);
  }
  return bytes;
}

/** The name of a command's image option (where a re-run or a shared photo goes). */
export function imageOption(command: string): string | undefined {
  return findCommand(command)?.options.find((o) => o.type === 'image')?.name;
}

export type ButtonPress =
  | { kind: 'delete' }
  | { kind: 'explain'; text: string }
  | { kind: 'rerun'; command: string; options: Record<string, unknown>; images: Record<string, ImageRef> };

/**
 * What a button under a result asks for, from its stored state: delete (only its
 * owner), the notes on the network, or a re-run (again, blur/boxes, a follow-up).
 * Refuses expired and foreign buttons with localized errors.
 */
export async function pressButton(
  deps: { states: InteractionStateStore; models: ModelRegistry },
  id: string,
  userId: string,
  lang: Lang,
): Promise<ButtonPress> {
  const parsed = parseCustomId(id);
  const state = parsed && (await deps.states.get(parsed.stateId));
  if (!parsed || !state) throw new SinapsisError('button_expired');
  switch (parsed.action) {
    case 'delete':
      if (userId !== state.userId) throw new SinapsisError('not_your_button');
      return { kind: 'delete' };
    case 'explain':
      return { kind: 'explain', text: explainResult(deps.models, state.command, state.model, lang) };
    default: {
      const option = imageOption(state.command) ?? 'image';
      return {
        kind: 'rerun',
        command: state.command,
        options: rerunOptions(parsed.action, state.options),
        images: state.imageUrl ? { [option]: { url: state.imageUrl, size: 0 } } : {},
      };
    }
  }
}
