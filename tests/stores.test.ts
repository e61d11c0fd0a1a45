import { afterEach, describe, expect, it } from 'vitest';
import { testApp } from './helpers/app.js';

const apps: { dispose(): Promise<void> }[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.dispose();
});

describe('createApp builds the stores; adapters receive them instead of the database', () => {
  it('the bundle holds every store, and the service and gate use the same ones', async () => {
    const app = testApp();
    apps.push(app);
    const { stores } = app;
    await stores.kv.set('test:key', 'v1');
    await stores.kv.set('test:key', 'v2');
    expect(await stores.kv.get('test:key')).toBe('v2');
    const id = await stores.interactions.save({
      platform: 'discord',
      userId: 'u',
      command: 'translate',
      options: { text: 'hola' },
    });
    expect(await stores.interactions.get(id)).toMatchObject({ command: 'translate', options: { text: 'hola' } });
    // A moderator's switch written through the stores is what the service's gate reads.
    await stores.rules.setSwitch('', '', 'translate', false, 'test', Date.now());
    await expect(
      app.service.check({
        command: 'translate',
        options: { text: 'hola' },
        ctx: { platform: 'cli', userId: 'u', lang: 'en' },
      }),
    ).rejects.toThrow(expect.objectContaining({ code: 'command_disabled' }));
    // ...and the refusal lands in the same jobs log.
    expect((await stores.jobsLog.recent())[0]).toMatchObject({ command: 'translate', outcome: 'command_disabled' });
  });
});
