import { describe, expect, it } from 'vitest';
import { createProcessor, type JobPayload } from '../src/core/processor.js';
import type { ModelRegistry } from '../src/models/registry.js';
import { MemoryQueue } from '../src/queue/memory-queue.js';
import type { Task } from '../src/tasks/types.js';

const payload = (task: string): JobPayload => ({
  command: 'echo',
  task,
  options: { text: 'hola' },
  images: {},
  lang: 'es',
  langSource: 'platform',
});

describe('createProcessor (no Service around it: what a worker process would run)', () => {
  it("runs the payload's task with the models and settings, streaming its progress", async () => {
    const models = {} as ModelRegistry;
    const echo: Task = async (input, ctx) => {
      ctx.report?.({ text: 'ho' });
      return {
        text: `${input.options.text} ${input.lang} ${ctx.models === models} ${ctx.blocklist?.join(',')}`,
        images: [],
        data: {},
        timings: {},
      };
    };
    const processor = createProcessor({ tasks: { echo }, models, blocklist: ['x'] });
    const progress: unknown[] = [];
    const queue = new MemoryQueue(processor, { concurrency: 1, maxWaiting: 1, maxWaitingPerUser: 1, timeoutMs: 5_000 });
    const r = await queue.submit(
      { id: '1', userId: 'u', payload: payload('echo') },
      { onProgress: (p) => progress.push(p) },
    ).result;
    expect(r.text).toBe('hola es true x');
    expect(progress).toEqual([{ text: 'ho' }]);
  });

  it('a task that does not exist is refused with not_available_yet', async () => {
    const processor = createProcessor({ tasks: {}, models: {} as ModelRegistry });
    // The processor is async (it may load the task's code first): the refusal is a rejected job.
    await expect(processor(payload('nope'), new AbortController().signal, () => undefined)).rejects.toMatchObject({
      code: 'not_available_yet',
    });
  });
});
