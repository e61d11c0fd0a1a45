import { colorizeTask } from './colorize.js';
import { detectFacesTask } from './detect-faces.js';
import { explainTask } from './explain.js';
import { generateTextTask } from './generate-text.js';
import { translateTask } from './translate.js';
import type { Task } from './types.js';

/** Built tasks by spec `task` key. A command whose task is missing here answers "not available yet". */
export const TASKS: Readonly<Record<string, Task>> = {
  colorize: colorizeTask,
  'detect-faces': detectFacesTask,
  explain: explainTask,
  'generate-text': generateTextTask,
  translate: translateTask,
};
