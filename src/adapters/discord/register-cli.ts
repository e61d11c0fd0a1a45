// `npm run register`: bulk-overwrites the slash commands from the specs (guild when DISCORD_GUILD_ID is set).
import { loadConfig } from '../../config/index.js';
import { registerCommands } from './bot.js';

const config = loadConfig();
if (!config.DISCORD_TOKEN || !config.DISCORD_APPLICATION_ID) {
  console.error('Set DISCORD_TOKEN and DISCORD_APPLICATION_ID (see .env.example) to register the slash commands.');
  process.exit(2);
}
try {
  const registered = (await registerCommands({
    token: config.DISCORD_TOKEN,
    applicationId: config.DISCORD_APPLICATION_ID,
    guildId: config.DISCORD_GUILD_ID,
    apiUrl: config.DISCORD_API_URL,
    adminCommand: config.SINAPSIS_ADMIN_COMMAND,
  })) as { name: string; type?: number }[];
  const scope = config.DISCORD_GUILD_ID
    ? `guild ${config.DISCORD_GUILD_ID}`
    : 'globally (may take up to an hour to show)';
  console.log(
    `Registered ${registered.length} commands ${scope}: ${registered.map((c) => (c.type === 3 ? `"${c.name}" (message menu)` : `/${c.name}`)).join(' ')}`,
  );
} catch (err) {
  console.error(`Registration failed: ${(err as Error).message}`);
  process.exit(1);
}
