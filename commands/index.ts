import colorize from './colorize.js';
import detectFaces from './detect-faces.js';
import explain from './explain.js';
import generateText from './generate-text.js';
import translate from './translate.js';
import { adminCommand } from './sinapsis.js';
import type { AdminSpec, CommandSpec } from './spec.js';

export * from './spec.js';

export const COMMANDS: readonly CommandSpec[] = [translate, generateText, colorize, detectFaces, explain];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The moderators' command, named by SINAPSIS_ADMIN_COMMAND (default "sinapsis"). */
export function adminSpec(name?: string): AdminSpec {
  return adminCommand(COMMANDS.map((c) => c.name), name);
}
