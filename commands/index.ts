import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { adminCommand } from './sinapsis.js';
import type { AdminSpec, CommandSpec } from './spec.js';

export * from './spec.js';

const registered: CommandSpec[] = [];

/**
 * Every command, in registration order: Discord and Slack registration, the web
 * pages and API, the CLI and help all read this list (and nothing else).
 */
export const COMMANDS: readonly CommandSpec[] = registered;

/**
 * The one entry point for a command: its spec, which also says how to load its
 * task, the models it uses and its buttons. `replace` swaps a registered command
 * in place (tests stand a fake task in). Returns a function that undoes it.
 */
export function registerCommand(spec: CommandSpec, opts: { replace?: boolean } = {}): () => void {
  const at = registered.findIndex((c) => c.name === spec.name);
  if (at >= 0 && !opts.replace) throw new Error(`Command "${spec.name}" is registered twice`);
  const previous = at >= 0 ? registered[at] : undefined;
  if (at >= 0) registered[at] = spec;
  else registered.push(spec);
  return () => {
    const i = registered.indexOf(spec);
    if (i < 0) return;
    if (previous) registered[i] = previous;
    else registered.splice(i, 1);
  };
}

/**
 * Every file here whose default export is a command spec is a command: adding a command is adding
 * its file (docs/adding-a-command.md). Its `order` places it in the lists.
 */
async function discover(): Promise<CommandSpec[]> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(here).filter((f) => /^[\w-]+\.[jt]s$/.test(f) && !/^(index|spec)\./.test(f));
  const modules = await Promise.all(files.map((f) => import(pathToFileURL(path.join(here, f)).href)));
  const specs = modules
    .map((m) => (m as { default?: unknown }).default)
    .filter((d): d is CommandSpec => typeof d === 'object' && d !== null && 'name' in d && 'task' in d && 'texts' in d);
  const rank = (s: CommandSpec) => s.order ?? Number.POSITIVE_INFINITY;
  return specs.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

for (const spec of await discover()) registerCommand(spec);

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Whether the command has a task to run (a spec without one is listed as "not available yet"). */
export function hasTask(spec: CommandSpec): boolean {
  return Boolean(spec.run);
}

/** The moderators' command, named by SINAPSIS_ADMIN_COMMAND (default "sinapsis"). */
export function adminSpec(name?: string): AdminSpec {
  return adminCommand(
    COMMANDS.map((c) => c.name),
    name,
  );
}
