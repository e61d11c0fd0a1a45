import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';

describe('config', () => {
  it('has a default for everything, and treats empty values as unset', () => {
    const c = loadConfig({ PORT: '', DISCORD_TOKEN: '', SINAPSIS_DATA_DIR: '' }, { dotenv: false });
    expect(c.PORT).toBe(3000);
    expect(c.DISCORD_TOKEN).toBeUndefined();
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.modelsCache).toBe(path.resolve('./data/models'));
    expect(c.DISCORD_API_URL).toBe('https://discord.com/api');
    expect(c.SINAPSIS_CONCURRENCY).toBeGreaterThanOrEqual(1);
  });

  it('refuses a bad value with a message naming the setting', () => {
    expect(() => loadConfig({ PORT: 'eighty' }, { dotenv: false })).toThrow(/PORT/);
    expect(() => loadConfig({ SINAPSIS_AUTO_DOWNLOAD: 'perhaps' }, { dotenv: false })).toThrow(
      /SINAPSIS_AUTO_DOWNLOAD/,
    );
  });

  it('reads lists and booleans', () => {
    const c = loadConfig(
      { SINAPSIS_DISABLED_COMMANDS: 'colorize, explain', SINAPSIS_AUTO_DOWNLOAD: 'false' },
      { dotenv: false },
    );
    expect(c.SINAPSIS_DISABLED_COMMANDS).toEqual(['colorize', 'explain']);
    expect(c.SINAPSIS_AUTO_DOWNLOAD).toBe(false);
  });
});
