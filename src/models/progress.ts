import { AsyncLocalStorage } from 'node:async_hooks';

/** A model download seen by one request: a distinct progress kind next to streamed text. */
export interface DownloadProgress {
  kind: 'download';
  /** The model's id (or `org/name@revision`). */
  model: string;
  /** The task it serves (translate, generate-text, embed, colorize, detect-faces): adapters name it in the user's language. */
  task: string;
  bytes: number;
  total: number;
}

// Tasks ask the registry for models deep inside their own code; carrying a
// callback through every call would touch every task. The service runs each
// job inside this context instead, and the registry reads it when it downloads.
const listeners = new AsyncLocalStorage<(p: DownloadProgress) => void>();

export function withDownloadListener<T>(listener: (p: DownloadProgress) => void, fn: () => T): T {
  return listeners.run(listener, fn);
}

export function currentDownloadListener(): ((p: DownloadProgress) => void) | undefined {
  return listeners.getStore();
}
