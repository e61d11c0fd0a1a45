import type { InteractionEditReplyOptions } from 'discord.js';

type Edit = (payload: InteractionEditReplyOptions) => Promise<unknown>;

/**
 * Serializes edits of one deferred reply: progress (queue position) at most
 * once per `intervalMs`, never after the final answer, which always lands last.
 */
export class ReplyEditor {
  private chain: Promise<unknown> = Promise.resolve();
  private lastProgress = 0;
  private pending?: string;
  private timer?: NodeJS.Timeout;
  private done = false;

  constructor(private readonly edit: Edit, private readonly intervalMs = 1000, private readonly onError: (err: unknown) => void = () => {}) {}

  progress(content: string): void {
    if (this.done) return;
    this.pending = content;
    const wait = this.lastProgress + this.intervalMs - Date.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  final(payload: InteractionEditReplyOptions): Promise<unknown> {
    this.done = true;
    clearTimeout(this.timer);
    return this.enqueue(payload, true);
  }

  private flush() {
    this.timer = undefined;
    if (this.done || this.pending === undefined) return;
    const content = this.pending;
    this.pending = undefined;
    this.lastProgress = Date.now();
    void this.enqueue({ content }, false);
  }

  private enqueue(payload: InteractionEditReplyOptions, rethrow: boolean): Promise<unknown> {
    const next = this.chain.then(() => this.edit(payload));
    this.chain = next.catch((err) => this.onError(err));
    return rethrow ? next : this.chain;
  }
}
