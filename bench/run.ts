// `npm run --silent bench -- <name> [options]`: benchmarks print figures, never assert timings.
const [name, ...rest] = process.argv.slice(2);
const benches: Record<string, () => Promise<{ run(args: string[]): Promise<void> }>> = {
  'detect-faces': () => import('./detect-faces.js'),
  discord: () => import('./discord.js'),
  'discord-load': () => import('./discord-load.js'),
  'discord-menu': () => import('./discord-menu.js'),
  slack: () => import('./slack.js'),
  explain: () => import('./explain.js'),
  'generate-text': () => import('./generate-text.js'),
  'generate-text-110m': () => import('./generate-text-110m.js'),
  gate: () => import('./gate.js'),
  colorize: () => import('./colorize.js'),
  playground: () => import('./playground.js'),
  'model-download': () => import('./model-download.js'),
  audit: () => import('./audit.js'),
  queue: () => import('./queue.js'),
};
const load = name ? benches[name] : undefined;
if (!load) {
  console.error(
    `Usage: npm run --silent bench -- <${Object.keys(benches).join('|')}> [--rounds N | --burst N | --mb N | --tokens N]`,
  );
  process.exit(2);
}
await (await load()).run(rest);
