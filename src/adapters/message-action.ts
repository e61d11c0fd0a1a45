// Message actions (Discord message context menus, Slack message shortcuts):
// a posted message becomes the options of a command, as its spec declares
// (commands/*.ts `contextMenu`). Shared by the chat adapters; no platform code.
import { COMMANDS } from '../../commands/index.js';
import type { CommandSpec, MessageActionSpec } from '../../commands/spec.js';
import { SinapsisError } from '../errors.js';
import { specLocale, type Lang } from '../i18n/locale.js';

export type ActionSpec = CommandSpec & { contextMenu: MessageActionSpec };

/** A file on the message, as the platform describes it. */
export interface MessageFile {
  url?: string;
  size?: number;
  name?: string;
  mime?: string;
  /** Slack's file id (its URL can be looked up when the payload lacks it). */
  id?: string;
}

export interface PostedMessage {
  text: string;
  files: readonly MessageFile[];
}

export interface ActionRequest {
  options: Record<string, unknown>;
  /** The image option and the message's file that fills it. */
  image?: { option: string; file: MessageFile };
}

/** The commands offered on messages, in spec order. */
export function messageActions(specs: readonly CommandSpec[] = COMMANDS): ActionSpec[] {
  return specs.filter((s): s is ActionSpec => Boolean(s.contextMenu));
}

/** The action's name as the user sees it, in their language. */
export function actionName(spec: ActionSpec, lang: Lang): string {
  return spec.contextMenu.names[specLocale(lang)];
}

const IMAGE_NAME = /\.(jpe?g|png|webp|gif|bmp|tiff?|heic|avif)$/i;

/** Images by their declared type, else by file name (the bytes are checked later anyway). */
export function isImageFile(f: MessageFile): boolean {
  return f.mime ? f.mime.startsWith('image/') : IMAGE_NAME.test(f.name ?? f.url ?? '');
}

/**
 * The request a message action makes: the preset options in the reply
 * language, plus the message's text or its first image. A message without
 * what the action needs is refused with a localized explanation.
 */
export function actionRequest(spec: ActionSpec, message: PostedMessage, lang: Lang): ActionRequest {
  const menu = spec.contextMenu;
  const options: Record<string, unknown> = {};
  for (const [name, byLang] of Object.entries(menu.preset ?? {})) options[name] = byLang[lang];
  const action = actionName(spec, lang);
  if ('text' in menu.input) {
    const text = message.text.trim();
    if (!text) throw new SinapsisError('message_no_text', { action });
    const o = spec.options.find((x) => x.name === (menu.input as { text: string }).text);
    const limit = o?.type === 'string' ? o.maxLength : Infinity;
    if (text.length > limit)
      throw new SinapsisError('message_too_long', { action, length: text.length, limit, command: spec.name });
    options[menu.input.text] = text;
    return { options };
  }
  const file = message.files.find(isImageFile);
  if (!file) throw new SinapsisError('message_no_image', { action });
  return { options, image: { option: menu.input.image, file } };
}

/** Discord message text without mention and custom-emoji markup, which a translator would only garble. */
export function discordPlainText(text: string): string {
  return text
    .replace(/<a?:(\w+):\d+>/g, '')
    .replace(/<(@[!&]?|#)\d+>/g, '')
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/ ([,.;:!?])/g, '$1')
    .trim();
}

/** Slack mrkdwn as plain text: links by their label, mentions by name, entities unescaped. */
export function slackPlainText(text: string): string {
  return text
    .replace(/<([@#!][^|>]*)\|([^>]*)>/g, (_m, _id, label: string) => label)
    .replace(/<[@#!][^>]*>/g, '')
    .replace(/<([^|>]+)\|([^>]+)>/g, (_m, _url, label: string) => label)
    .replace(/<([^>]+)>/g, (_m, url: string) => url)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/ ([,.;:!?])/g, '$1')
    .trim();
}
