import { COMMANDS } from '../../../commands/index.js';
import type { CommandSpec } from '../../../commands/spec.js';
import { specLocale, type Lang } from '../../i18n/locale.js';
import { TASKS } from '../../tasks/index.js';

const HEAD = {
  en: { usage: 'Usage', commands: 'Commands', options: 'Options', soon: '(not available yet)', common: 'Common flags: --json (one JSON document on stdout), --out DIR (where images are written, default out/), --lang es|en' },
  es: { usage: 'Uso', commands: 'Comandos', options: 'Opciones', soon: '(todavía no disponible)', common: 'Opciones comunes: --json (un documento JSON por stdout), --out DIR (dónde se guardan las imágenes, por defecto out/), --lang es|en' },
};

function optionLine(spec: CommandSpec['options'][number], lang: Lang): string {
  const text = spec.texts[specLocale(lang)];
  const value = spec.type === 'boolean' ? '' : spec.type === 'image' ? ' <file>' : ` <${spec.type}>`;
  const dflt = 'default' in spec && spec.default !== undefined ? ` [${spec.default}]` : '';
  return `  --${spec.name}${value}${spec.required ? ' (*)' : ''}  ${text.description}${dflt}`;
}

/** Help text derived from the specs: all commands, or one command's options. */
export function helpText(lang: Lang, command?: CommandSpec): string {
  const h = HEAD[lang];
  if (command) {
    const loc = specLocale(lang);
    return [
      `${h.usage}: npm run --silent cli -- ${command.name} [--option value ...] [--json]`,
      '',
      command.texts[loc].description + (TASKS[command.task] ? '' : ` ${h.soon}`),
      command.help[loc],
      '',
      `${h.options}:`,
      ...command.options.map((o) => optionLine(o, lang)),
      '',
      h.common,
    ].join('\n');
  }
  return [
    `${h.usage}: npm run --silent cli -- <command> [--option value ...] [--json]`,
    '',
    `${h.commands}:`,
    ...COMMANDS.map((c) => `  ${c.name.padEnd(14)} ${c.texts[specLocale(lang)].description}${TASKS[c.task] ? '' : ` ${h.soon}`}`),
    '',
    h.common,
  ].join('\n');
}
