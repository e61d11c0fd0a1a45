import type { AdminSpec, CommandSpec, OptionSpec } from '../../../commands/spec.js';

/** Splits on spaces, keeping "quoted phrases" (straight or curly quotes) together. */
function words(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|“([^”]*)”|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/**
 * Slack gives a slash command one line of text. `--option value` and `--flag`
 * set options by their spec names; everything else is the free text, which goes
 * to the command's first text option (prompt, text, topic).
 */
export function parseCommandText(spec: Pick<CommandSpec, 'options'>, text: string): Record<string, unknown> {
  const { options, free } = flags(spec.options, words(text.trim()));
  const textOption = spec.options.find((o) => o.type === 'string' && !('choices' in o && o.choices));
  if (free.length && textOption && options[textOption.name] === undefined) options[textOption.name] = free.join(' ');
  return options;
}

/**
 * `/sinapsis disable detect-faces --scope channel`: the first word is the
 * subcommand; the next words fill its options in order; flags as elsewhere.
 */
export function parseAdminText(spec: AdminSpec, text: string): { sub: string; options: Record<string, unknown> } {
  const [sub = 'status', ...rest] = words(text.trim());
  const subSpec = spec.subcommands.find((s) => s.name === sub);
  const { options, free } = flags(subSpec?.options ?? [], rest);
  for (const o of subSpec?.options ?? [])
    if (options[o.name] === undefined && free.length) options[o.name] = free.shift();
  // Words left over are reported by the option check as unknown options.
  for (const word of free) options[word] = true;
  return { sub, options };
}

function flags(specOptions: readonly OptionSpec[], tokens: string[]) {
  const options: Record<string, unknown> = {};
  const free: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (!tok.startsWith('--') || tok.length < 3) {
      free.push(tok);
      continue;
    }
    const name = tok.slice(2);
    const next = tokens[i + 1];
    const option = specOptions.find((o) => o.name === name);
    if (
      option?.type === 'boolean' &&
      (next === undefined || next.startsWith('--') || !/^(true|false|yes|no|si|sí|1|0)$/i.test(next))
    )
      options[name] = true;
    else if (next !== undefined && !next.startsWith('--')) {
      options[name] = next;
      i++;
    } else options[name] = true;
  }
  return { options, free };
}

/** The usage hint shown by Slack: the free text and the flags, from the spec. */
export function usageHint(spec: CommandSpec): string {
  // The same text option parseCommandText fills (a list of choices, like --sample, is a flag).
  const textOption = spec.options.find((o) => o.type === 'string' && !('choices' in o && o.choices));
  const flags = spec.options
    .filter((o) => o !== textOption && o.type !== 'image')
    .map((o) => (o.type === 'boolean' ? `[--${o.name}]` : `[--${o.name} …]`));
  // Slack caps hints at 100 characters: keep whole flags only, never a cut-off one.
  return [textOption ? `<${textOption.name}>` : '', ...flags]
    .filter(Boolean)
    .reduce((hint, part) => (hint && `${hint} ${part}`.length > 100 ? hint : hint ? `${hint} ${part}` : part), '');
}
