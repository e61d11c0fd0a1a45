import type { AdminSpec, Localized, LocalizedLabel, OptionSpec } from './spec.js';

const label = (en: string, es: string, esAr = es): Localized<LocalizedLabel> => ({
  'en-US': { name: en.split('|')[0]!, description: en.split('|')[1]! },
  'es-ES': { name: es.split('|')[0]!, description: es.split('|')[1]! },
  'es-419': { name: esAr.split('|')[0]!, description: esAr.split('|')[1]! },
});

/**
 * The moderators' command (`/sinapsis`, renamed with SINAPSIS_ADMIN_COMMAND).
 * Built from the list of user commands so its choices follow them.
 */
export function adminCommand(commands: readonly string[], name = 'sinapsis'): AdminSpec {
  const command = (required: boolean): OptionSpec => ({
    name: 'command',
    type: 'string',
    required,
    maxLength: 40,
    choices: [...commands, '*'],
    ...(required ? {} : { default: '*' }),
    texts: label('command|A command, or * for all of them', 'comando|Un comando, o * para todos'),
  });
  const scope: OptionSpec = {
    name: 'scope',
    type: 'string',
    maxLength: 10,
    choices: ['server', 'channel'],
    default: 'server',
    texts: label(
      'scope|The whole server (default) or only this channel',
      'alcance|Todo el servidor (por defecto) o solo este canal',
    ),
  };
  return {
    name,
    texts: label(
      `${name}|Moderators: turn commands on/off, roles, limits, language`,
      `${name}|Moderadores: activar comandos, roles, límites, idioma`,
    ),
    help: {
      'en-US':
        'Only for moderators (Manage Server on Discord, workspace admins on Slack). Changes are recorded in the audit log.',
      'es-ES':
        'Solo para moderadores (Gestionar servidor en Discord, administradores en Slack). Los cambios quedan en el registro de auditoría.',
      'es-419':
        'Solo para moderadores (Gestionar servidor en Discord, administradores en Slack). Los cambios quedan en el registro de auditoría.',
    },
    subcommands: [
      {
        name: 'enable',
        texts: label('enable|Turn a command on here', 'activar|Activa un comando acá'),
        options: [command(true), scope],
      },
      {
        name: 'disable',
        texts: label('disable|Turn a command off here', 'desactivar|Desactiva un comando acá'),
        options: [command(true), scope],
      },
      {
        name: 'roles',
        texts: label(
          'roles|Allow or deny a role (Slack: admin, owner or a user-group ID)',
          'roles|Permite o bloquea un rol (Slack: admin, owner o el ID de un grupo)',
        ),
        options: [
          command(true),
          {
            name: 'role',
            type: 'string',
            required: true,
            maxLength: 100,
            texts: label('role|The role (mention or ID)', 'rol|El rol (mención o ID)'),
          },
          {
            name: 'action',
            type: 'string',
            maxLength: 10,
            choices: ['allow', 'deny', 'clear'],
            default: 'allow',
            texts: label(
              'action|allow (only these roles), deny, or clear the rule',
              'accion|allow (solo estos roles), deny o clear para borrar la regla',
              'accion|allow (solo estos roles), deny o clear para borrar la regla',
            ),
          },
        ],
      },
      {
        name: 'limits',
        texts: label(
          'limits|Per-user cooldown and daily quota, and this server’s share of the queue',
          'limites|Espera y cupo diario por usuario, y la parte de la cola de este servidor',
        ),
        options: [
          command(false),
          {
            name: 'cooldown',
            type: 'integer',
            min: 0,
            max: 86_400,
            texts: label(
              'cooldown|Seconds a user waits between uses (0: none)',
              'espera|Segundos entre usos de un usuario (0: sin espera)',
            ),
          },
          {
            name: 'quota',
            type: 'integer',
            min: 0,
            max: 100_000,
            texts: label('quota|Uses per user per day (0: unlimited)', 'cupo|Usos por usuario por día (0: sin límite)'),
          },
          {
            name: 'share',
            type: 'integer',
            min: 1,
            max: 100,
            texts: label(
              'share|Most of the queue this server may hold, in % (100: no limit)',
              'cola|Parte máxima de la cola para este servidor, en % (100: sin límite)',
            ),
          },
        ],
      },
      {
        name: 'status',
        texts: label(
          'status|What is on or off here, limits, queue, today’s usage, last changes',
          'estado|Qué está activo acá, límites, cola, uso de hoy, últimos cambios',
        ),
        options: [],
      },
      {
        name: 'language',
        texts: label(
          'language|Default reply language of this server',
          'idioma|Idioma por defecto de las respuestas en este servidor',
        ),
        options: [
          {
            name: 'language',
            type: 'string',
            required: true,
            maxLength: 2,
            choices: ['es', 'en'],
            texts: label('language|es or en', 'idioma|es o en'),
          },
        ],
      },
    ],
  };
}
