import type { CommandSpec } from '../../commands/spec.js';
import type { Task } from './types.js';

// Tasks are reached through their command's spec (`spec.run`), loaded once per
// process, and only by the process that runs jobs.
// Keyed by spec, so a spec registered in another's place (registerCommand's `replace`) loads its own.
const loaded = new WeakMap<CommandSpec, Promise<Task>>();

/** The command's task, loaded on first use; undefined for a spec without one. */
export function loadTask(spec: CommandSpec): Promise<Task> | undefined {
  if (!spec.run) return undefined;
  let task = loaded.get(spec);
  if (!task) {
    task = spec.run();
    // A module that fails to load is tried again by the next job, not cached broken.
    task.catch(() => loaded.delete(spec));
    loaded.set(spec, task);
  }
  return task;
}

/** Starts loading every command's task (a failure surfaces on that command's first job). */
export function preloadTasks(specs: readonly CommandSpec[]): void {
  for (const spec of specs) loadTask(spec)?.catch(() => undefined);
}
