// `npm run slack-manifest [-- --http <request url>]`: writes slack-manifest.json from the command specs.
import { writeFileSync } from 'node:fs';
import { slackManifest } from './manifest.js';

const args = process.argv.slice(2);
const http = args.indexOf('--http');
const manifest = slackManifest(http >= 0 ? { socketMode: false, requestUrl: args[http + 1] } : {});
writeFileSync('slack-manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`Wrote slack-manifest.json (${manifest.features.slash_commands.length} commands, ${http >= 0 ? 'HTTP' : 'Socket Mode'})`);
