// The real Bolt app against a local fake Slack (tests/fakes/slack): Socket Mode and HTTP mode.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSpec, COMMANDS } from '../commands/index.js';
import { parseAdminText, parseCommandText, usageHint } from '../src/adapters/slack/args.js';
import { BOT_SCOPES, slackManifest } from '../src/adapters/slack/manifest.js';
import generateText from '../commands/generate-text.js';
import translate from '../commands/translate.js';
import { describeWith, facesDir, yunetFile } from './helpers/assets.js';
import { startSlackAgainstFake } from './helpers/slack.js';
import { CHANNEL, type SlackCall } from './fakes/slack/server.js';

const photo = path.join(facesDir, '2008_001009.jpg');

describe('Slack command text and manifest', () => {
  it('parses free text and --flags by the spec', () => {
    expect(parseCommandText(generateText, 'Había una vez --max-new-tokens 40 --temperature 0')).toEqual({
      prompt: 'Había una vez',
      'max-new-tokens': '40',
      temperature: '0',
    });
    expect(parseCommandText(translate, '"hola mundo" --to en')).toEqual({ text: 'hola mundo', to: 'en' });
    expect(parseCommandText(COMMANDS.find((c) => c.name === 'detect-faces')!, '--blur')).toEqual({ blur: true });
    expect(parseAdminText(adminSpec(), 'disable detect-faces --scope channel')).toEqual({
      sub: 'disable',
      options: { command: 'detect-faces', scope: 'channel' },
    });
    expect(parseAdminText(adminSpec(), 'limits explain --quota 5')).toEqual({
      sub: 'limits',
      options: { command: 'explain', quota: '5' },
    });
    expect(parseAdminText(adminSpec(), '')).toEqual({ sub: 'status', options: {} });
  });

  it('the usage hint of a photo command offers --sample (a flag, never the free text)', () => {
    const faces = COMMANDS.find((c) => c.name === 'detect-faces')!;
    expect(usageHint(faces)).toBe('[--blur] [--min-score …] [--sample …]');
    expect(parseCommandText(faces, '--sample astronaut --blur')).toEqual({ sample: 'astronaut', blur: true });
    expect(usageHint(COMMANDS.find((c) => c.name === 'explain')!)).toMatch(/^<topic> .*\[--sample …\]$/);
  });

  it('generates the app manifest from the specs, with only the scopes it uses', () => {
    const m = slackManifest();
    expect(m.features.slash_commands.map((c) => c.command)).toEqual([
      ...COMMANDS.map((c) => `/${c.name}`),
      '/sinapsis',
    ]);
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(m.oauth_config.scopes.bot).toEqual(BOT_SCOPES);
    const committed = JSON.parse(readFileSync(path.join(import.meta.dirname, '../slack-manifest.json'), 'utf8'));
    expect(committed).toEqual(m);
  });
});

describe('Slack in HTTP mode', () => {
  let s: Awaited<ReturnType<typeof startSlackAgainstFake>>;
  beforeAll(async () => {
    s = await startSlackAgainstFake({ http: true });
    // The app caches user groups for ten minutes: set them before the first request.
    s.fake.groups.set('S0TUTORS', ['U0000022']);
  });
  afterAll(() => s?.stop());
  const form = (p: Record<string, string>) => new URLSearchParams(p).toString();

  it('a signed slash command is acknowledged at once, then answered in the channel', async () => {
    s.fake.locales.set('U0000002', 'es-LA');
    const r = await s.fake.sendSigned(
      s.port,
      form(s.fake.slashPayload('/explain', '¿qué es una red convolucional?', 'U0000002')),
    );
    expect(r.status).toBe(200);
    const update = await s.fake.waitFor((c) => c.method === 'chat.update' && Array.isArray(c.args.blocks));
    expect(update.args.blocks[0].text.text).toMatch(/^\*Redes convolucionales \(CNN\)\*/);
    // /explain's follow-ups get their own row; "again" would only repeat the same answer.
    expect(update.args.blocks[2].elements.map((e: any) => e.text.text)).toEqual([
      'Más simple',
      'Un ejemplo',
      '¿Y en el bot?',
    ]);
    expect(update.args.blocks[2].elements.map((e: any) => e.action_id)).toEqual([
      expect.stringMatching(/^sx:follow:/),
      expect.stringMatching(/^sx:follow:/),
      expect.stringMatching(/^sx:follow:/),
    ]);
    expect(update.args.blocks[3].elements.map((e: any) => e.text.text)).toEqual(['Explicar', 'Borrar']);
  });

  const ephemeralFor = (user: string, n = 1) =>
    s.fake.waitFor((c) => c.method === 'chat.postEphemeral' && c.args.user === user && --n === 0);

  it('/sinapsis: refused to a non-admin; a workspace admin turns /explain off in the channel and a student is told so', async () => {
    await s.fake.sendSigned(s.port, form(s.fake.slashPayload('/sinapsis', 'disable explain', 'U0000010')));
    expect((await ephemeralFor('U0000010')).args.text).toBe("⚠️ Only workspace admins can change the bot's settings.");
    s.fake.admins.add('U0000011');
    await s.fake.sendSigned(
      s.port,
      form(s.fake.slashPayload('/sinapsis', 'disable explain --scope channel', 'U0000011')),
    );
    expect((await ephemeralFor('U0000011')).args.text).toBe('/explain: now off (this channel); before: on (default).');
    s.fake.locales.set('U0000012', 'es-LA');
    await s.fake.sendSigned(s.port, form(s.fake.slashPayload('/explain', 'qué es una GAN', 'U0000012')));
    expect((await ephemeralFor('U0000012')).args.text).toBe(
      '⚠️ /explain está desactivado en este canal. Los administradores del espacio de trabajo lo pueden activar con /sinapsis enable.',
    );
    await s.fake.sendSigned(
      s.port,
      form(s.fake.slashPayload('/sinapsis', 'enable explain --scope channel', 'U0000011')),
    );
    expect((await ephemeralFor('U0000011', 2)).args.text).toMatch(/now on \(this channel\)/);
  });

  it('/sinapsis roles with a user group: members of the group may use the command, others are refused', async () => {
    s.fake.admins.add('U0000021');
    await s.fake.sendSigned(
      s.port,
      form(s.fake.slashPayload('/sinapsis', 'roles generate-text <!subteam^S0TUTORS|@tutores>', 'U0000021')),
    );
    expect((await ephemeralFor('U0000021')).args.text).toBe('/generate-text, role S0TUTORS: none → allow.');
    await s.fake.sendSigned(s.port, form(s.fake.slashPayload('/generate-text', 'hola', 'U0000023')));
    expect((await ephemeralFor('U0000023')).args.text).toMatch(/^⚠️ Your roles do not allow \/generate-text here/);
    await s.fake.sendSigned(s.port, form(s.fake.slashPayload('/generate-text', 'hola', 'U0000022')));
    // Allowed by the gate; with no text model here it then fails for that reason instead.
    expect((await ephemeralFor('U0000022')).args.text).toMatch(/model/);
  });

  it('refuses a bad or stale signature', async () => {
    const body = form(s.fake.slashPayload('/explain', 'what is a GAN'));
    expect((await s.fake.sendSigned(s.port, body, { secret: 'wrong' })).status).toBe(401);
    expect((await s.fake.sendSigned(s.port, body, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(
      401,
    );
  });
});

describeWith('Slack /detect-faces in Socket Mode', [yunetFile, photo], () => {
  let s: Awaited<ReturnType<typeof startSlackAgainstFake>>;
  beforeAll(async () => {
    s = await startSlackAgainstFake();
  });
  afterAll(() => s?.stop());
  const after = (n: number) => (c: SlackCall) => s.fake.calls.indexOf(c) >= n;

  it('an envelope is acked, the latest shared photo is read, and a JPEG is uploaded; a Spanish user reads Spanish', async () => {
    s.fake.locales.set('U0000003', 'es-ES');
    s.fake.shareImage('U0000003', 'photo.jpg', readFileSync(photo));
    const n = s.fake.calls.length;
    const env = s.fake.sendEnvelope('slash_commands', s.fake.slashPayload('/detect-faces', '', 'U0000003'));
    const done = await s.fake.waitFor((c) => after(n)(c) && c.method === 'files.completeUploadExternal');
    expect(s.fake.envelopes.get(env)!.ackAt).toBeDefined();
    const upload = [...s.fake.uploads.entries()].find(([id]) => id === done.args.files[0].id)![1];
    expect(upload.name).toBe('faces.jpg');
    expect((await sharp(upload.data).metadata()).format).toBe('jpeg');
    const update = s.fake.calls.find((c) => after(n)(c) && c.method === 'chat.update' && c.args.blocks)!;
    expect(update.args.text).toMatch(/^Encontré 2 caras\./);
    expect(update.args.channel).toBe(CHANNEL);
  });

  it('with no shared photo, answers privately what to do, in the user’s language', async () => {
    s.fake.locales.set('U0000004', 'es-LA');
    s.fake.sendEnvelope('slash_commands', s.fake.slashPayload('/detect-faces', '', 'U0000004'));
    const e = await s.fake.waitFor((c) => c.method === 'chat.postEphemeral' && c.args.user === 'U0000004');
    expect(e.args.text).toMatch(/^⚠️ Primero compartí la foto en este canal/);
    expect(e.args.text).toMatch(/¿No tenés una foto\? Probá con una de ejemplo: \/detect-faces --sample astronaut$/);
  });

  it('/detect-faces --sample astronaut answers without a shared photo', async () => {
    const n = s.fake.calls.length;
    s.fake.sendEnvelope('slash_commands', s.fake.slashPayload('/detect-faces', '--sample astronaut', 'U0000009'));
    const done = await s.fake.waitFor((c) => after(n)(c) && c.method === 'files.completeUploadExternal');
    const upload = [...s.fake.uploads.entries()].find(([id]) => id === done.args.files[0].id)![1];
    expect(upload.name).toBe('faces.jpg');
    const update = s.fake.calls.find((c) => after(n)(c) && c.method === 'chat.update' && c.args.blocks)!;
    expect(update.args.text).toMatch(/^Found 1 face\./);
    expect(s.fake.calls.some((c) => after(n)(c) && c.method === 'conversations.history')).toBe(false);
  });

  it('a failing task posts an ephemeral error and removes its placeholder', async () => {
    s.fake.shareImage('U0000005', 'notes.jpg', Buffer.from('not an image at all'));
    const n = s.fake.calls.length;
    s.fake.sendEnvelope('slash_commands', s.fake.slashPayload('/detect-faces', '', 'U0000005'));
    const e = await s.fake.waitFor(
      (c) => after(n)(c) && c.method === 'chat.postEphemeral' && c.args.user === 'U0000005',
    );
    expect(e.args.text).toMatch(/not an image I can read/);
  });

  it('buttons: blur re-runs on the same photo; delete only for the asker', async () => {
    s.fake.shareImage('U0000006', 'photo.jpg', readFileSync(photo));
    let n = s.fake.calls.length;
    s.fake.sendEnvelope('slash_commands', s.fake.slashPayload('/detect-faces', '', 'U0000006'));
    const result = await s.fake.waitFor((c) => after(n)(c) && c.method === 'chat.update' && c.args.blocks);
    await s.fake.waitFor((c) => after(n)(c) && c.method === 'files.completeUploadExternal');
    const [blur, , del] = result.args.blocks[2].elements.map((e: any) => e.action_id);
    const press = (action: string, user: string) =>
      s.fake.sendEnvelope('interactive', {
        type: 'block_actions',
        user: { id: user },
        team: { id: 'T0000001' },
        channel: { id: CHANNEL },
        message: { ts: result.args.ts },
        container: { type: 'message', message_ts: result.args.ts, channel_id: CHANNEL },
        actions: [{ type: 'button', action_id: action, block_id: 'b', action_ts: '1' }],
        trigger_id: 't',
        api_app_id: 'A0000001',
        token: 'x',
        response_url: 'http://127.0.0.1:9/none',
      });
    n = s.fake.calls.length;
    press(blur, 'U0000006');
    const up = await s.fake.waitFor((c) => after(n)(c) && c.method === 'files.completeUploadExternal');
    expect(s.fake.uploads.get(up.args.files[0].id)!.name).toBe('faces-blurred.jpg');
    press(del, 'U0000099');
    expect(
      (await s.fake.waitFor((c) => c.method === 'chat.postEphemeral' && c.args.user === 'U0000099')).args.text,
    ).toMatch(/Only the person who ran the command/);
    press(del, 'U0000006');
    await s.fake.waitFor((c) => c.method === 'chat.delete' && c.args.ts === result.args.ts);
  });

  it('/explain follow-up: "¿Y en el bot?" answers with the demonstrating command, prefilled', async () => {
    s.fake.locales.set('U0000007', 'es-LA');
    let n = s.fake.calls.length;
    s.fake.sendEnvelope(
      'slash_commands',
      s.fake.slashPayload('/explain', 'que es la temperatura al generar texto', 'U0000007'),
    );
    const result = await s.fake.waitFor((c) => after(n)(c) && c.method === 'chat.update' && c.args.blocks);
    expect(result.args.blocks[0].text.text).toMatch(/^\*Temperatura\*/);
    const demo = result.args.blocks[2].elements[2].action_id;
    n = s.fake.calls.length;
    s.fake.sendEnvelope('interactive', {
      type: 'block_actions',
      user: { id: 'U0000007' },
      team: { id: 'T0000001' },
      channel: { id: CHANNEL },
      message: { ts: result.args.ts },
      container: { type: 'message', message_ts: result.args.ts, channel_id: CHANNEL },
      actions: [{ type: 'button', action_id: demo, block_id: 'b', action_ts: '1' }],
      trigger_id: 't',
      api_app_id: 'A0000001',
      token: 'x',
      response_url: 'http://127.0.0.1:9/none',
    });
    const answer = await s.fake.waitFor((c) => after(n)(c) && c.method === 'chat.update' && c.args.blocks);
    expect(answer.args.text).toContain('Probalo: `/generar-texto texto: Once upon a time temperatura: 1.5`');
  });
});
