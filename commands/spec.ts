// The shape every command spec has. Specs are plain data: adapters derive
// Discord/Slack registration, web forms, CLI flags and help from them.

import type { Task } from '../src/tasks/types.js';

export const LOCALES = ['en-US', 'es-ES', 'es-419'] as const;
export type Locale = (typeof LOCALES)[number];

/** Discord-style lowercase name plus description, per locale. */
export interface LocalizedLabel {
  name: string;
  description: string;
  /** Human label for forms ("Confianza mínima"); the name stays the flag/option name. */
  label?: string;
  /** Human names of a string option's choices, by value ("astronaut" → "La astronauta Eileen Collins"). */
  choices?: Readonly<Record<string, string>>;
}
export type Localized<T> = Record<Locale, T>;

/** Raw values as adapters receive them: strings from forms/flags, typed values from JSON/Discord. */
export type RawOptions = Record<string, unknown>;
/** Raw image bytes keyed by option name; the bytes are checked by src/images. */
export type ImageInputs = Record<string, Buffer>;
export type OptionValues = Record<string, string | number | boolean | undefined>;

interface OptionBase {
  /** Canonical (English) option name: kebab-case, also the CLI flag and API field. */
  name: string;
  required?: boolean;
  texts: Localized<LocalizedLabel>;
}

export interface StringOption extends OptionBase {
  type: 'string';
  minLength?: number;
  maxLength: number;
  choices?: readonly string[];
  default?: string;
}
export interface IntegerOption extends OptionBase {
  type: 'integer';
  min: number;
  max: number;
  default?: number;
}
export interface NumberOption extends OptionBase {
  type: 'number';
  min: number;
  max: number;
  default?: number;
}
export interface BooleanOption extends OptionBase {
  type: 'boolean';
  default?: boolean;
}
export interface ImageOption extends OptionBase {
  type: 'image';
  /** Accepted formats (sniffed from content, never from the file name). */
  formats: readonly ('jpeg' | 'png' | 'webp')[];
  /** Upload cap, enforced before anything is decoded. */
  maxBytes: number;
  /** width × height cap, read from the header before decoding. */
  maxPixels: number;
}

export type OptionSpec = StringOption | IntegerOption | NumberOption | BooleanOption | ImageOption;

/** Reply languages a preset can depend on (the course is bilingual). */
export type ReplyLang = 'es' | 'en';

/**
 * A message action: the command run on a message someone already posted
 * (Discord message context menu, Slack message shortcut), without copying
 * its text or re-uploading its photo.
 */
export interface MessageActionSpec {
  /** The entry's name in the message menu, per locale (Discord: 1-32 characters; Slack shortcuts: up to 24). */
  names: Localized<string>;
  /** One line about it (Slack's shortcut description, up to 150 characters), per locale. */
  descriptions: Localized<string>;
  /** What it takes from the message: its text, into this string option, or its first image, into this image option. */
  input: { text: string } | { image: string };
  /** Options the action sets itself, by the reply language (e.g. the target language: the user's own). */
  preset?: Record<string, Record<ReplyLang, string | number | boolean>>;
  /**
   * 'private': only the user who asked sees the answer, in their own language, with a
   * button to share it in the channel. 'public': answered like the slash command.
   */
  reply: 'private' | 'public';
}

/**
 * A kind of model a task loads: a manifest `task` (models/manifest.json). Its
 * default is the manifest's first entry of that kind; `setting` names the
 * environment variable that picks another (documented in .env.example).
 */
export interface ModelUse {
  task: string;
  setting?: string;
}

/** A button under a result that flips a boolean option and re-runs (e.g. /detect-faces' blur ↔ boxes). */
export interface ToggleButton {
  option: string;
  /** Button names (the action in its id; its label is the message `button_<name>`): shown when the option is off / on. */
  on: string;
  off: string;
}

export interface CommandSpec {
  /** Canonical name: the Discord/Slack command, the CLI subcommand, the URL path. */
  name: string;
  /** Place in every list (Discord, Slack, the web, help): lower first; commands without one come last, by name. */
  order?: number;
  /** The task's name (jobs log, models, availability). */
  task: string;
  /**
   * Loads the task (src/tasks/<task>.ts). A function, so that adapters, pages and help read
   * specs without importing task code (onnxruntime, sharp); only the process that runs jobs
   * calls it. A spec without one is listed as "not available yet".
   */
  run?: () => Promise<Task>;
  /** The models the task loads, and whether it needs all of them, any one, or none (optional extras). */
  models?: { uses: readonly ModelUse[]; need: 'all' | 'any' | 'optional' };
  /** Buttons of its own under a result; "again", "explain" and "delete" come with every command. */
  buttons?: { toggle?: ToggleButton };
  texts: Localized<LocalizedLabel>;
  /** Longer help shown on the web page, in CLI --help and in chat help. */
  help: Localized<string>;
  options: readonly OptionSpec[];
  /** Offered on messages too (see MessageActionSpec). Discord allows 5 message commands per application. */
  contextMenu?: MessageActionSpec;
  /** Ready-made inputs a newcomer can try with one click (web), `--sample` (CLI), per locale. */
  examples?: Localized<readonly CommandExample[]>;
  /** The option whose text the result continues (shown before the result, so a continuation reads whole). */
  continues?: string;
}

/**
 * One example: option values and/or a shipped sample photo (samples/, see
 * samples/SOURCES.md) for the image option.
 */
export interface CommandExample {
  /** Short button text in the locale's language. */
  label: string;
  options?: Readonly<Record<string, string | number | boolean>>;
  /** Sample photo id (file samples/<id>.jpg) for the command's image option. */
  sample?: string;
}

/** One subcommand of the admin command: options only, no task (it changes settings at once). */
export interface SubcommandSpec {
  name: string;
  texts: Localized<LocalizedLabel>;
  options: readonly OptionSpec[];
}

/** The moderators' command: subcommands, each a small spec; registered hidden from non-moderators. */
export interface AdminSpec {
  name: string;
  texts: Localized<LocalizedLabel>;
  help: Localized<string>;
  subcommands: readonly SubcommandSpec[];
}

/** Upload limits shared by the photo options (10 MB, 40 megapixels, JPEG/PNG/WebP). */
export const PHOTO_LIMITS = {
  formats: ['jpeg', 'png', 'webp'],
  maxBytes: 10 * 1024 * 1024,
  maxPixels: 40_000_000,
} as const satisfies Pick<ImageOption, 'formats' | 'maxBytes' | 'maxPixels'>;

/** Identity helper so each spec file is type-checked against CommandSpec. */
export function defineCommand<const T extends CommandSpec>(spec: T): T {
  return spec;
}
