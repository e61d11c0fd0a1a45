import { COMMANDS, hasTask } from '../../../commands/index.js';
import type { AdminSpec, CommandSpec } from '../../../commands/spec.js';
import { specLocale, type Lang } from '../../i18n/locale.js';
import { SAMPLES } from '../../samples/index.js';

const HEAD = {
  en: {
    examples: 'Examples',
    samples: 'Sample photos (--sample NAME)',
    usage: 'Usage',
    commands: 'Commands',
    options: 'Options',
    soon: '(not available yet)',
    common:
      "Common flags: --json (one JSON document on stdout), --out DIR (where images are written, default out/), --lang es|en, --model ID|org/name[@revision]|FOLDER (another model); context for the moderators' rules: --server ID --channel ID --user ID --roles a,b",
    admin: 'Moderators: npm run --silent cli -- admin --help · Models: npm run --silent cli -- models status [--json]',
  },
  es: {
    examples: 'Ejemplos',
    samples: 'Fotos de ejemplo (--sample NOMBRE)',
    usage: 'Uso',
    commands: 'Comandos',
    options: 'Opciones',
    soon: '(todavía no disponible)',
    common:
      'Opciones comunes: --json (un documento JSON por stdout), --out DIR (dónde se guardan las imágenes, por defecto out/), --lang es|en, --model ID|org/nombre[@revisión]|CARPETA (otro modelo); contexto para las reglas de moderación: --server ID --channel ID --user ID --roles a,b',
    admin: 'Moderación: npm run --silent cli -- admin --help · Modelos: npm run --silent cli -- models status [--json]',
  },
};

function optionLine(spec: CommandSpec['options'][number], lang: Lang): string {
  const text = spec.texts[specLocale(lang)];
  const value = spec.type === 'boolean' ? '' : spec.type === 'image' ? ' <file>' : ` <${spec.type}>`;
  const dflt = 'default' in spec && spec.default !== undefined ? ` [${spec.default}]` : '';
  return `  --${spec.name}${value}${spec.required ? ' (*)' : ''}  ${text.description}${dflt}`;
}

const quote = (v: string | number | boolean) => (typeof v === 'string' ? `'${v.replace(/'/g, "'\\''")}'` : String(v));

/** The spec's examples as command lines, in the reader's language, and the sample photos. */
function exampleLines(command: CommandSpec, lang: Lang): string[] {
  const h = HEAD[lang];
  const list = command.examples?.[specLocale(lang)] ?? [];
  if (!list.length) return [];
  const lines = list.map((e) => {
    const flags = Object.entries(e.options ?? {}).map(([k, v]) => (v === true ? `--${k}` : `--${k} ${quote(v)}`));
    return `  npm run --silent cli -- ${command.name}${e.sample ? ` --sample ${e.sample}` : ''}${flags.length ? ` ${flags.join(' ')}` : ''}   # ${e.label}`;
  });
  const photos = command.options.some((o) => o.type === 'image')
    ? ['', `${h.samples}:`, ...SAMPLES.map((x) => `  ${x.id.padEnd(10)} ${x.title[lang]} (${x.credit}, ${x.licence})`)]
    : [];
  return ['', `${h.examples}:`, ...lines, ...photos];
}

/** Help text derived from the specs: all commands, or one command's options. */
export function helpText(lang: Lang, command?: CommandSpec): string {
  const h = HEAD[lang];
  if (command) {
    const loc = specLocale(lang);
    return [
      `${h.usage}: npm run --silent cli -- ${command.name} [--option value ...] [--json]`,
      '',
      command.texts[loc].description + (hasTask(command) ? '' : ` ${h.soon}`),
      command.help[loc],
      '',
      `${h.options}:`,
      ...command.options.map((o) => optionLine(o, lang)),
      ...exampleLines(command, lang),
      '',
      h.common,
    ].join('\n');
  }
  return [
    `${h.usage}: npm run --silent cli -- <command> [--option value ...] [--json]`,
    '',
    `${h.commands}:`,
    ...COMMANDS.map(
      (c) => `  ${c.name.padEnd(14)} ${c.texts[specLocale(lang)].description}${hasTask(c) ? '' : ` ${h.soon}`}`,
    ),
    '',
    h.common,
    h.admin,
  ].join('\n');
}

/** Help for `admin`: every subcommand with its options, from the admin spec. */
export function adminHelpText(lang: Lang, spec: AdminSpec): string {
  const loc = specLocale(lang);
  return [
    `${HEAD[lang].usage}: npm run --silent cli -- admin <${spec.subcommands.map((s) => s.name).join('|')}> [--option value ...] [--server ID] [--channel ID] [--json]`,
    '',
    spec.help[loc],
    ...spec.subcommands.flatMap((s) => [
      '',
      `${s.name}: ${s.texts[loc].description}`,
      ...s.options.map((o) => optionLine(o, lang)),
    ]),
  ].join('\n');
}
