// `npm run --silent bench -- <name> [options]`: benchmarks print figures, never assert timings.
const [name, ...rest] = process.argv.slice(2);
const benches: Record<string, () => Promise<{ run(args: string[]): Promise<void> }>> = {
  'detect-faces': () => import('./detect-faces.js'),
  discord: () => import('./discord.js'),
  slack: () => import('./slack.js'),
  explain: () => import('./explain.js'),
  'generate-text': () => import('./generate-text.js'),
  gate: () => import('./gate.js'),
  colorize: () => import('./colorize.js'),
  audit: () => import('./audit.js'),
};
const load = name ? benches[name] : undefined;
if (!load) {
  console.error(`Usage: npm run --silent bench -- <${Object.keys(benches).join('|')}> [--rounds N | --burst N]`);
  process.exit(2);
}
await (await load()).run(rest);
