import { createHash } from 'node:crypto';
import {
  ApplicationCommandOptionType,
  PermissionFlagsBits,
  type RESTPutAPIApplicationCommandsJSONBody,
} from 'discord.js';
import { adminSpec, COMMANDS } from '../../../commands/index.js';
import { uploadRequired } from '../../../commands/sample-option.js';
import {
  LOCALES,
  type AdminSpec,
  type CommandSpec,
  type Locale,
  type OptionSpec,
  type StringOption,
} from '../../../commands/spec.js';
import { messageCommandsPayload } from './context-menu.js';

const OPTION_TYPE: Record<OptionSpec['type'], ApplicationCommandOptionType> = {
  string: ApplicationCommandOptionType.String,
  integer: ApplicationCommandOptionType.Integer,
  number: ApplicationCommandOptionType.Number,
  boolean: ApplicationCommandOptionType.Boolean,
  image: ApplicationCommandOptionType.Attachment,
};

function localizations<T extends { name: string; description: string }>(
  texts: Record<'en-US' | 'es-ES' | 'es-419', T>,
) {
  return {
    name_localizations: { 'en-US': texts['en-US'].name, 'es-ES': texts['es-ES'].name, 'es-419': texts['es-419'].name },
    description_localizations: {
      'en-US': texts['en-US'].description,
      'es-ES': texts['es-ES'].description,
      'es-419': texts['es-419'].description,
    },
  };
}

/** A choice named as people read it where the spec names it ("Chelsea, la gata"), else by its value. */
function choice(o: StringOption, value: string) {
  const name = (locale: Locale) => o.texts[locale].choices?.[value]?.slice(0, 100) ?? value;
  const named = LOCALES.some((l) => o.texts[l].choices?.[value]);
  return {
    name: name('en-US'),
    value,
    ...(named
      ? { name_localizations: { 'en-US': name('en-US'), 'es-ES': name('es-ES'), 'es-419': name('es-419') } }
      : {}),
  };
}

function option(o: OptionSpec, all: readonly OptionSpec[] = []) {
  const base = {
    type: OPTION_TYPE[o.type],
    name: o.name,
    description: o.texts['en-US'].description,
    ...localizations(o.texts),
    // A photo the sample option can stand in for is not required by Discord (core checks one of them came).
    required: uploadRequired(o, all),
  };
  switch (o.type) {
    case 'string':
      return {
        ...base,
        max_length: o.maxLength,
        ...(o.minLength ? { min_length: o.minLength } : {}),
        ...(o.choices ? { choices: o.choices.map((c) => choice(o, c)) } : {}),
      };
    case 'integer':
    case 'number':
      return { ...base, min_value: o.min, max_value: o.max };
    default:
      return base;
  }
}

/** A spec as Discord's slash command JSON: names, descriptions and options localized for en-US, es-ES and es-419. */
export function discordCommand(spec: CommandSpec) {
  return {
    name: spec.name,
    description: spec.texts['en-US'].description,
    ...localizations(spec.texts),
    type: 1,
    // Servers and the bot's DMs; no member permission needed to use it.
    contexts: [0, 1],
    integration_types: [0],
    options: spec.options.map((o) => option(o, spec.options)),
  };
}

/**
 * The moderators' command: one subcommand per admin operation, hidden from
 * members without Manage Server (the bot re-checks at run time: a server can
 * override who sees a command), servers only.
 */
export function discordAdminCommand(spec: AdminSpec) {
  return {
    name: spec.name,
    description: spec.texts['en-US'].description,
    ...localizations(spec.texts),
    type: 1,
    contexts: [0],
    integration_types: [0],
    default_member_permissions: String(PermissionFlagsBits.ManageGuild),
    options: spec.subcommands.map((sub) => ({
      type: ApplicationCommandOptionType.Subcommand,
      name: sub.name,
      description: sub.texts['en-US'].description,
      ...localizations(sub.texts),
      options: sub.options.map((o) => option(o)),
    })),
  };
}

export function registrationPayload(
  admin: AdminSpec = adminSpec(),
  specs: readonly CommandSpec[] = COMMANDS,
): RESTPutAPIApplicationCommandsJSONBody {
  // Slash commands, the admin command, then the message context-menu entries the specs declare.
  return [
    ...specs.map(discordCommand),
    discordAdminCommand(admin),
    ...messageCommandsPayload(specs),
  ] as RESTPutAPIApplicationCommandsJSONBody;
}

/** Changes whenever what would be registered changes, so a start only re-registers when needed. */
export function registrationHash(scope: string, admin: AdminSpec = adminSpec()): string {
  return createHash('sha256')
    .update(scope)
    .update(JSON.stringify(registrationPayload(admin)))
    .digest('hex');
}
