import { adminSpec, COMMANDS } from '../../../commands/index.js';
import { specLocale, type Lang } from '../../i18n/locale.js';
import { messageActions } from '../message-action.js';
import { usageHint } from './args.js';
import { shortcutCallbackId } from './shortcuts.js';

/** Only what the app uses: slash commands, posting, files, user locale and admin flag, user groups (role rules), and reading recent channel images. */
export const BOT_SCOPES = [
  'commands',
  'chat:write',
  'files:read',
  'files:write',
  'users:read',
  'usergroups:read',
  'channels:history',
  'groups:history',
];

/** The app manifest a workspace admin pastes at api.slack.com/apps → "From an app manifest". */
export function slackManifest(
  opts: { name?: string; socketMode?: boolean; requestUrl?: string; adminCommand?: string; lang?: Lang } = {},
) {
  // Slack does not localize shortcut names: they are in the workspace's default language (SINAPSIS_DEFAULT_LANGUAGE).
  const locale = specLocale(opts.lang ?? 'es');
  const admin = adminSpec(opts.adminCommand);
  const socketMode = opts.socketMode ?? true;
  const url = opts.requestUrl ?? 'https://example.org/slack/events';
  return {
    display_information: {
      name: opts.name ?? 'Sinapsis',
      description: 'Try the deep-learning course networks: translate, generate text, colorize, detect faces, explain.',
    },
    features: {
      bot_user: { display_name: opts.name ?? 'Sinapsis', always_online: true },
      slash_commands: COMMANDS.map((c) => ({
        command: `/${c.name}`,
        description: c.texts['en-US'].description.slice(0, 100),
        usage_hint: usageHint(c),
        should_escape: false,
        ...(socketMode ? {} : { url }),
      })).concat({
        command: `/${admin.name}`,
        description: admin.texts['en-US'].description.slice(0, 100),
        usage_hint: admin.subcommands.map((sub) => sub.name).join('|'),
        should_escape: false,
        ...(socketMode ? {} : { url }),
      }),
      // Message shortcuts ("More actions" on a message), from the specs' contextMenu.
      shortcuts: messageActions().map((c) => ({
        name: c.contextMenu.names[locale],
        type: 'message' as const,
        callback_id: shortcutCallbackId(c),
        description: c.contextMenu.descriptions[locale],
      })),
    },
    oauth_config: { scopes: { bot: BOT_SCOPES } },
    settings: {
      interactivity: { is_enabled: true, ...(socketMode ? {} : { request_url: url }) },
      org_deploy_enabled: false,
      socket_mode_enabled: socketMode,
      token_rotation_enabled: false,
    },
  };
}
