// One worker thread of the pool: its own models (loaded lazily, per thread) and the same
// processor the in-thread queue runs; it only talks to the pool through plain messages.
import { parentPort, workerData } from 'node:worker_threads';
import { COMMANDS } from '../../commands/index.js';
import type { Config } from '../config/index.js';
import { processorFromConfig } from '../core/processor.js';
import { registryFromConfig } from '../models/setup.js';
import { loadTask } from '../tasks/load.js';
import { asBuffer, type FromWorker, fromWire, type ToWorker, toWire, transferable } from './thread-messages.js';

export interface WorkerInit {
  entry: string;
  config: Config;
  /** Modules imported before the first job (tests register stand-in tasks this way). */
  preload: string[];
}

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const plain = (extra: object) => JSON.parse(JSON.stringify(extra, (_k, v) => (v instanceof Error ? v.message : v)));
const log = (level: 'info' | 'warn' | 'error') => (extra: object, msg: string) =>
  post({ type: 'log', level, msg, extra: plain(extra) });

for (const m of init.preload) await import(m);
// This thread runs jobs: its tasks' code is loaded before it answers (the pool's start() waits for
// that), not inside the first request's timeout. A task that fails to load fails its own jobs.
await Promise.allSettled(COMMANDS.flatMap((spec) => loadTask(spec) ?? []));
const models = registryFromConfig(init.config, { info: log('info'), warn: log('warn') });
const processor = processorFromConfig(init.config, models);
const running = new Map<number, AbortController>();

async function run(id: number, msg: Extract<ToWorker, { type: 'run' }>) {
  const abort = new AbortController();
  running.set(id, abort);
  const payload = {
    ...msg.payload,
    images: Object.fromEntries(Object.entries(msg.payload.images).map(([k, v]) => [k, asBuffer(v)])),
  };
  try {
    const result = await processor(payload, abort.signal, (progress) => post({ type: 'progress', id, progress }));
    post({ type: 'done', id, result }, transferable((result.images ?? []).map((i) => i.data)));
  } catch (err) {
    post({ type: 'error', id, error: toWire(err) });
  } finally {
    running.delete(id);
  }
}

async function reply(id: number, work: () => Promise<unknown>) {
  try {
    post({ type: 'reply', id, value: await work() });
  } catch (err) {
    post({ type: 'reply', id, error: toWire(err) });
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'run') void run(msg.id, msg);
  else if (msg.type === 'abort') running.get(msg.id)?.abort(fromWire(msg.reason));
  else if (msg.type === 'warm') void reply(msg.id, () => models.warm(msg.models));
  else if (msg.type === 'memory') void reply(msg.id, async () => process.memoryUsage());
});
post({ type: 'ready' });
