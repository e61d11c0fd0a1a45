/**
 * Serializes the edits of one chat message that stands for a request (a
 * Discord deferred reply, a Slack placeholder): progress (queue position,
 * growing text) at most once per `intervalMs`, never after the final answer,
 * which always lands last.
 */
export class ReplyEditor<P> {
  private chain: Promise<unknown> = Promise.resolve();
  private lastProgress = 0;
  private pending?: string;
  private timer?: NodeJS.Timeout;
  private done = false;

  constructor(
    private readonly edit: (payload: P) => Promise<unknown>,
    /** How a progress text becomes a payload for `edit`. */
    private readonly progressPayload: (text: string) => P,
    private readonly intervalMs = 1000,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  progress(text: string): void {
    if (this.done) return;
    this.pending = text;
    const wait = this.lastProgress + this.intervalMs - Date.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  final(payload: P): Promise<unknown> {
    this.stopProgress();
    return this.enqueue(payload, true);
  }

  /** No more progress; resolves once the edits already sent are done. */
  async stop(): Promise<void> {
    this.stopProgress();
    await this.chain;
  }

  private stopProgress() {
    this.done = true;
    clearTimeout(this.timer);
  }

  private flush() {
    this.timer = undefined;
    if (this.done || this.pending === undefined) return;
    const text = this.pending;
    this.pending = undefined;
    this.lastProgress = Date.now();
    void this.enqueue(this.progressPayload(text), false);
  }

  private enqueue(payload: P, rethrow: boolean): Promise<unknown> {
    const next = this.chain.then(() => this.edit(payload));
    this.chain = next.catch((err) => this.onError(err));
    return rethrow ? next : this.chain;
  }
}
