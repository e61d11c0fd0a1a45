// `npm run slack-manifest [-- --http <request url>]`: writes slack-manifest.json from the command specs.
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../config/index.js';
import { slackManifest } from './manifest.js';

const args = process.argv.slice(2);
const http = args.indexOf('--http');
const adminCommand = loadConfig().SINAPSIS_ADMIN_COMMAND;
const manifest = slackManifest(http >= 0 ? { socketMode: false, requestUrl: args[http + 1], adminCommand } : { adminCommand });
writeFileSync('slack-manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`Wrote slack-manifest.json (${manifest.features.slash_commands.length} commands, ${http >= 0 ? 'HTTP' : 'Socket Mode'})`);
