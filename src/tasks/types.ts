import type { OptionValues, ImageInputs } from '../../commands/spec.js';
import type { Lang } from '../i18n/locale.js';
import type { ModelRegistry } from '../models/registry.js';

/** What every task receives: validated options and raw image bytes; plain data, serializable. */
export interface TaskInput {
  options: OptionValues;
  images: ImageInputs;
  lang: Lang;
  /** 'platform' when the language came from the user's locale; 'default' when it is only a fallback. */
  langSource?: 'platform' | 'default';
  /** A model other than the default: a manifest id, or a local folder (CLI only). */
  model?: string;
}

export interface ResultImage {
  name: string;
  mime: 'image/png' | 'image/jpeg';
  data: Buffer;
  /** Alternative text in the reply language. */
  alt: string;
}

export interface TaskResult {
  /** Human-readable answer in the reply language. */
  text: string;
  images: ResultImage[];
  /** Structured result (boxes, tokens...), the CLI/API JSON contract. */
  data: Record<string, unknown>;
  /** Named durations in milliseconds. */
  timings: Record<string, number>;
  /** The model that produced it (manifest id), for captions and /explain. */
  model?: string;
  /** Buttons that run the same command again with other options (e.g. /explain's "más simple"). */
  followUps?: FollowUp[];
}

/** A button under a result: its label in the reply language, and the options the same command runs with. */
export interface FollowUp {
  label: string;
  options: Record<string, unknown>;
}

/** What the runtime gives a task besides its input: models, cancellation, progress, settings. */
export interface TaskContext {
  models: ModelRegistry;
  signal: AbortSignal;
  /** Partial text as it is produced (streaming); adapters throttle what they show. */
  report?: (progress: { text: string }) => void;
  /** Terms a moderator wants masked in generated text. */
  blocklist?: readonly string[];
  /** /explain may let the text model rephrase the passage it found (kept only if grounded). */
  explainRephrase?: boolean;
}

export type Task = (input: TaskInput, ctx: TaskContext) => Promise<TaskResult>;
