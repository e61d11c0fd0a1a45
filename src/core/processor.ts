import { findCommand } from '../../commands/index.js';
import type { Config } from '../config/index.js';
import { SinapsisError } from '../errors.js';
import type { Lang } from '../i18n/locale.js';
import { withDownloadListener } from '../models/progress.js';
import type { ModelRegistry } from '../models/registry.js';
import type { Processor } from '../queue/types.js';
import { loadTask } from '../tasks/load.js';
import type { Task, TaskResult } from '../tasks/types.js';
import type { ImageInputs, OptionValues } from './options.js';

/** What travels through the queue: plain data only. */
export interface JobPayload {
  command: string;
  task: string;
  options: OptionValues;
  images: ImageInputs;
  lang: Lang;
  langSource: 'platform' | 'default';
  model?: string;
}

export interface ProcessorDeps {
  /** Task name → task, for tests; by default each command's entry (commands/index.ts) loads its own task. */
  tasks?: Readonly<Record<string, Task | undefined>>;
  models: ModelRegistry;
  /** Terms a moderator wants masked in generated text. */
  blocklist?: readonly string[];
  explainRephrase?: boolean;
}

/**
 * Payload → task → result, with no Service around it: what a worker process needs to run
 * queued jobs is the command registry, the models and these settings.
 */
async function taskFor(deps: ProcessorDeps, payload: JobPayload): Promise<Task | undefined> {
  if (deps.tasks) return deps.tasks[payload.task];
  const spec = findCommand(payload.command);
  return spec ? loadTask(spec) : undefined;
}

export function createProcessor(deps: ProcessorDeps): Processor<JobPayload, TaskResult> {
  return async (payload, signal, report) => {
    const task = await taskFor(deps, payload);
    if (!task) throw new SinapsisError('not_available_yet', { command: payload.command });
    const { options, images, lang, langSource, model } = payload;
    // A model downloaded for this job reports its progress as the job's own (typed 'download').
    return withDownloadListener(report, () =>
      task(
        { options, images, lang, langSource, model },
        { models: deps.models, signal, report, blocklist: deps.blocklist, explainRephrase: deps.explainRephrase },
      ),
    );
  };
}

/** The processor with the settings tasks read (blocklist, /explain rephrasing). */
export function processorFromConfig(config: Config, models: ModelRegistry): Processor<JobPayload, TaskResult> {
  return createProcessor({
    models,
    blocklist: config.SINAPSIS_BLOCKLIST,
    explainRephrase: config.SINAPSIS_EXPLAIN_REPHRASE,
  });
}
