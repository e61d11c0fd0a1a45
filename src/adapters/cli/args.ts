import type { CommandSpec } from '../../../commands/spec.js';

export interface CliArgs {
  command?: string;
  /** Option values by spec name; image options hold file paths. */
  options: Record<string, string | true>;
  json: boolean;
  help: boolean;
  out: string;
  lang?: string;
  /** --sample NAME: a shipped sample photo (samples/) as the command's photo. */
  sample?: string;
  /** --model: a manifest id, a hub repo `org/name[@revision]` or a local model folder. */
  model?: string;
  /** Where the request comes from, for the moderators' rules: --server, --channel, --user, --roles a,b. */
  context: { serverId?: string; channelId?: string; userId?: string; roles?: string[] };
  /** Words after the command (the admin subcommand and its first option). */
  positionals: string[];
}

// Flags of the CLI itself, not of any command.
const OWN_FLAGS = new Set(['json', 'help', 'out', 'lang', 'model', 'sample', 'server', 'channel', 'user', 'roles']);

/** `<command> --name value --flag ...`; a flag followed by another flag (or nothing) is `true`. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { options: {}, json: false, help: false, out: 'out', context: {}, positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      if (args.command === undefined) args.command = a;
      else args.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const next = argv[i + 1];
    const value = eq > 0 ? a.slice(eq + 1) : next !== undefined && !next.startsWith('--') ? (i++, next) : true;
    if (name === 'json') args.json = value === true || value === 'true';
    else if (name === 'help') args.help = true;
    else if (name === 'out' && typeof value === 'string') args.out = value;
    else if (name === 'lang' && typeof value === 'string') args.lang = value;
    else if (name === 'model' && typeof value === 'string') args.model = value;
    else if (name === 'sample') args.sample = typeof value === 'string' ? value : '';
    else if (name === 'server' && typeof value === 'string') args.context.serverId = value;
    else if (name === 'channel' && typeof value === 'string') args.context.channelId = value;
    else if (name === 'user' && typeof value === 'string') args.context.userId = value;
    else if (name === 'roles' && typeof value === 'string')
      args.context.roles = value
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);
    else args.options[name] = value;
  }
  if (args.command === 'help') {
    args.command = undefined;
    args.help = true;
  }
  return args;
}

/** Splits flags into image-file paths and plain option values, by the spec. */
export function splitImageFlags(spec: CommandSpec, options: CliArgs['options']) {
  const imagePaths: Record<string, string> = {};
  const raw: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    const o = spec.options.find((x) => x.name === name);
    if (o?.type === 'image' && typeof value === 'string') imagePaths[name] = value;
    else raw[name] = value;
  }
  return { imagePaths, raw };
}

export { OWN_FLAGS };
