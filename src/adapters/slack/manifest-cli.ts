// `npm run slack-manifest [-- --http <request url>]`: writes slack-manifest.json from the command specs.
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../config/index.js';
import { slackManifest } from './manifest.js';

const args = process.argv.slice(2);
const http = args.indexOf('--http');
const config = loadConfig();
const common = { adminCommand: config.SINAPSIS_ADMIN_COMMAND, lang: config.SINAPSIS_DEFAULT_LANGUAGE };
const manifest = slackManifest(http >= 0 ? { socketMode: false, requestUrl: args[http + 1], ...common } : common);
writeFileSync('slack-manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
console.log(
  `Wrote slack-manifest.json (${manifest.features.slash_commands.length} commands, ${manifest.features.shortcuts.length} message shortcuts, ${http >= 0 ? 'HTTP' : 'Socket Mode'})`,
);
