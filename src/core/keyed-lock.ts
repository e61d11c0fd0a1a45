/**
 * Runs async sections one after another per key (and freely across keys): what keeps a
 * check-then-count atomic once the store's reads are awaited. Within one process only; a
 * store shared by several processes needs its own (a transaction or an advisory lock).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(section);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // The map holds only keys with a section running or waiting.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a section running or waiting (tests). */
  get size(): number {
    return this.tails.size;
  }
}
