import sharp from 'sharp';
import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import type { Lang } from '../../i18n/locale.js';
import { t } from '../../i18n/messages.js';
import type { ResultImage, TaskResult } from '../../tasks/types.js';
import { buttonActions, buttonLabel, customId } from '../buttons.js';

export { parseCustomId } from '../buttons.js';

export const MAX_CONTENT = 2000;

/** Splits text into Discord-sized messages, preferring line breaks. */
export function splitContent(text: string, max = MAX_CONTENT): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max);
    if (cut < max / 2) cut = max;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, '');
  }
  parts.push(rest);
  return parts;
}

/** Keeps an image under the upload limit: PNG as is, else JPEG, else smaller JPEGs. */
export async function fitUpload(img: ResultImage, maxBytes: number): Promise<{ name: string; data: Buffer }> {
  if (img.data.length <= maxBytes) return { name: img.name, data: img.data };
  const base = img.name.replace(/\.\w+$/, '');
  let width = (await sharp(img.data).metadata()).width ?? 2048;
  for (let i = 0; i < 6; i++) {
    const data = await sharp(img.data).resize({ width, withoutEnlargement: true }).jpeg({ quality: 85 }).toBuffer();
    if (data.length <= maxBytes) return { name: `${base}.jpg`, data };
    width = Math.round(width * 0.7);
  }
  throw new Error('image does not fit the upload limit');
}

/** The buttons under a result; which ones depends on the command and its options; the task's follow-ups get a row of their own above. */
export function resultButtons(
  command: string,
  options: Record<string, unknown>,
  stateId: string,
  lang: Lang,
  follow: { label: string; id: string }[] = [],
) {
  const rows: ActionRowBuilder<ButtonBuilder>[] = [];
  if (follow.length) {
    rows.push(
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        follow.map((f) => new ButtonBuilder().setCustomId(f.id).setLabel(f.label).setStyle(ButtonStyle.Primary)),
      ),
    );
  }
  const row = new ActionRowBuilder<ButtonBuilder>();
  for (const action of buttonActions(command, options, follow.length > 0)) {
    row.addComponents(
      new ButtonBuilder()
        .setCustomId(customId(action, stateId))
        .setLabel(t(lang, buttonLabel(action)))
        .setStyle(action === 'delete' ? ButtonStyle.Danger : ButtonStyle.Secondary),
    );
  }
  return [...rows, row];
}

export async function resultMessage(result: TaskResult, uploadLimitBytes: number) {
  const [first, ...rest] = splitContent(result.text);
  const files = await Promise.all(result.images.map((img) => fitUpload(img, uploadLimitBytes)));
  return {
    content: first!,
    overflow: rest,
    files: files.map(
      (f, i) => new AttachmentBuilder(f.data, { name: f.name, description: result.images[i]!.alt.slice(0, 1024) }),
    ),
  };
}
