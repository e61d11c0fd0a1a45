import { findCommand, registerCommand } from '../../commands/index.js';
import type { Task } from '../../src/tasks/types.js';

/**
 * Runs `name` with a stand-in task until the returned function is called: the
 * command's own spec with another `run`, or (for a name no command has, like a
 * queue "hold" job) a bare command with no options.
 */
export function standInTask(name: string, task: Task): () => void {
  const spec = findCommand(name);
  const texts = { name, description: name };
  const base = spec ?? {
    name,
    task: name,
    texts: { 'en-US': texts, 'es-ES': texts, 'es-419': texts },
    help: { 'en-US': '', 'es-ES': '', 'es-419': '' },
    options: [],
  };
  return registerCommand({ ...base, run: async () => task }, { replace: true });
}
