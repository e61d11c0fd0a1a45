// A worker thread's first module: plain JavaScript, so it loads in every host (tsx, vitest, the CLI),
// then teaches this thread TypeScript and runs the worker written in it.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
