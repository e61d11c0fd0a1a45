import colorize from './colorize.js';
import detectFaces from './detect-faces.js';
import explain from './explain.js';
import generateText from './generate-text.js';
import translate from './translate.js';
import type { CommandSpec } from './spec.js';

export * from './spec.js';

export const COMMANDS: readonly CommandSpec[] = [translate, generateText, colorize, detectFaces, explain];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
