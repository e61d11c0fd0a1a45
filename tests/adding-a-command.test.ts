// docs/adding-a-command.md, proved: a command that exists only in this test (tests/fixtures/toy-command:
// its spec and its task, registered with registerCommand) shows up on Discord, Slack, the web and the CLI,
// and runs on each, without a line changed anywhere else.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, registerCommand } from '../commands/index.js';
import { buttonActions } from '../src/adapters/buttons.js';
import { helpText } from '../src/adapters/cli/help.js';
import { registrationPayload } from '../src/adapters/discord/registration.js';
import { slackManifest } from '../src/adapters/slack/manifest.js';
import toy from './fixtures/toy-command/spec.js';
import { tempDir, testApp } from './helpers/app.js';
import { describeWith, MODELS_DIR, ROOT, yunetFile } from './helpers/assets.js';
import { startBotAgainstFake } from './helpers/discord.js';
import { startSlackAgainstFake } from './helpers/slack.js';
import { startWeb } from './helpers/web.js';

let unregister: () => void;
beforeAll(() => {
  unregister = registerCommand(toy);
});
afterAll(() => unregister());

describe('a toy command registered through registerCommand', () => {
  it('is listed once, after the built-in commands, and a second registration is refused', () => {
    expect(COMMANDS.at(-1)).toBe(toy);
    expect(() => registerCommand(toy)).toThrow(/registered twice/);
    expect(buttonActions('toy', { text: 'x' })).toEqual(['again', 'explain', 'delete']);
  });

  it('Discord: registered with its localized names and options, and answered', async () => {
    expect(registrationPayload().find((c) => c.name === 'toy')).toMatchObject({
      name_localizations: { 'es-419': 'juguete' },
      options: [
        { type: 3, name: 'text', required: true, max_length: 200 },
        { type: 5, name: 'shout' },
      ],
    });
    const s = await startBotAgainstFake();
    try {
      const put = await s.fake.waitFor((c) => c.method === 'PUT');
      expect(put.json.map((c: any) => c.name)).toContain('toy');
      const id = s.fake.command('toy', [{ name: 'text', type: 3, value: 'uno dos tres' }], { locale: 'es-419' });
      const edit = await s.fake.waitFor(
        (c) =>
          c.method === 'PATCH' &&
          c.path.includes(`/tok-${id}/messages/@original`) &&
          /tres dos uno/.test(c.json?.content ?? ''),
      );
      expect(edit.json.content).toMatch(/^tres dos uno/);
    } finally {
      await s.stop();
    }
  });

  it('Slack: in the manifest, and a slash command is answered', async () => {
    expect(slackManifest().features.slash_commands.map((c) => c.command)).toContain('/toy');
    const s = await startSlackAgainstFake({ http: true });
    try {
      const r = await s.fake.sendSigned(
        s.port,
        new URLSearchParams(s.fake.slashPayload('/toy', 'uno dos tres')).toString(),
      );
      expect(r.status).toBe(200);
      const update = await s.fake.waitFor((c) => c.method === 'chat.update' && Array.isArray(c.args.blocks));
      expect(update.args.blocks[0].text.text).toBe('tres dos uno');
    } finally {
      await s.stop();
    }
  });

  it('web: on the home page, its own page with the form, and the API runs it', async () => {
    const s = await startWeb();
    try {
      expect(await (await fetch(`${s.url}/?lang=es`)).text()).toContain('href="/c/toy?lang=es">/juguete</a>');
      const page = await (await fetch(`${s.url}/c/toy?lang=es`)).text();
      expect(page).toContain('<h1>/juguete</h1>');
      expect(page).toContain('name="text"');
      const r = await fetch(`${s.url}/api/commands/toy`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'uno dos tres', shout: true }),
      });
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ text: 'TRES DOS UNO', data: { words: ['TRES', 'DOS', 'UNO'] } });
      expect(
        (await (await fetch(`${s.url}/api/availability`)).json()).find((a: any) => a.command === 'toy'),
      ).toMatchObject({ state: 'installed' });
    } finally {
      await s.stop();
    }
  });

  it('CLI: in the help, and `cli -- toy` runs it (registered before the CLI starts)', () => {
    expect(helpText('es')).toMatch(/\n {2}toy +Dice una frase al revés/);
    expect(helpText('en', toy)).toContain('--text <string> (*)');
    const r = spawnSync(
      `${ROOT}/node_modules/.bin/tsx`,
      [
        '--import',
        './tests/fixtures/toy-command/register.ts',
        'src/adapters/cli/main.ts',
        'toy',
        '--text',
        'uno dos tres',
        '--json',
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, SINAPSIS_DATA_DIR: tempDir(), SINAPSIS_AUTO_DOWNLOAD: 'false', LANG: 'C' },
        timeout: 60_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ text: 'tres dos uno' });
  });
});

describe('no adapter or page imports task code', () => {
  const loaded = (module: string) => {
    const r = spawnSync(`${ROOT}/node_modules/.bin/tsx`, ['tests/fixtures/loaded-packages.ts', `${ROOT}/${module}`], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as string[];
  };

  it('help, the pages, Discord registration and the Slack manifest load no onnxruntime, sharp or transformers.js', () => {
    for (const m of [
      'src/adapters/cli/help.ts',
      'src/adapters/web/pages.ts',
      'src/adapters/discord/registration.ts',
      'src/adapters/slack/manifest.ts',
    ])
      expect(loaded(m), m).toEqual([]);
    // The probe sees them when they are there: a task does load its runtime.
    expect(loaded('src/tasks/detect-faces.ts')).toContain('onnxruntime-node');
  });

  it('service.available(command) answers from the specs', async () => {
    const s = await startWeb();
    try {
      expect(['toy', 'detect-faces', 'translate'].map((c) => s.app.service.available(c))).toEqual([true, true, true]);
      expect(s.app.service.available('nope')).toBe(false);
    } finally {
      await s.stop();
    }
  });
});

const stories = path.join(MODELS_DIR, 'stories260K');
describeWith('models.forTask: one lookup by task, for any command', [yunetFile, stories], () => {
  it('loads what the manifest entry’s runtime says: a session, or a pipeline for a folder; a task with no model says so', async () => {
    const app = testApp({ SINAPSIS_TEXT_MODEL: stories });
    try {
      const faces = await app.models.forTask('detect-faces');
      expect(faces).toMatchObject({ id: 'yunet-n', entry: { runtime: 'onnxruntime' } });
      expect(faces.session?.inputNames.length).toBeGreaterThan(0);
      // The administrator's setting (SINAPSIS_TEXT_MODEL, named by /generate-text's spec) picks the model.
      const text = await app.models.forTask('generate-text');
      expect(text.id).toBe('stories260K');
      expect(typeof text.pipeline).toBe('function');
      await expect(app.models.forTask('no-such-task')).rejects.toMatchObject({ code: 'model_missing' });
    } finally {
      await app.dispose();
    }
  });
});
