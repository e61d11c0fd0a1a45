import type pino from 'pino';

/**
 * Runs `stop` once, on the first SIGINT or SIGTERM, and ends the process in bounded time whatever
 * hangs (a model load, a chat API that never answers): past `deadlineMs` it is killed. Not with
 * process.exit: that waits for libuv's thread pool, and a thread blocked in a read that never ends
 * (a FIFO, a dead network mount) would hold it for ever.
 */
export function onStopSignal(log: pino.Logger, deadlineMs: number, stop: (signal: NodeJS.Signals) => Promise<void>) {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      setTimeout(() => {
        log.warn('shutdown took too long: exiting anyway');
        killNow();
      }, deadlineMs).unref();
      void stop(signal);
    });
  }
}

export const killNow = () => process.kill(process.pid, 'SIGKILL');
