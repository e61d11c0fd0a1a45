// Slack message shortcuts ("More actions" on a message) with the real Bolt app in
// Socket Mode against the fake Slack: manifest, each action end to end, refusals.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackManifest } from '../src/adapters/slack/manifest.js';
import { slackPlainText } from '../src/adapters/message-action.js';
import { tempDir } from './helpers/app.js';
import { describeWith, facesDir, ROOT, yunetFile } from './helpers/assets.js';
import { startSlackAgainstFake } from './helpers/slack.js';
import { CHANNEL, TEAM, type SlackCall } from './fakes/slack/server.js';

const FIXTURES = path.join(ROOT, 'tests/fixtures/models');
const TRANSLATION = `es-en=${FIXTURES}/marian-tiny-es-en,en-es=${FIXTURES}/marian-tiny-en-es`;
const COLORIZER = path.join(FIXTURES, 'colorizer-tiny/colorizer-tiny-512.onnx');
const photo = path.join(facesDir, '2008_001009.jpg');
const grey = () =>
  sharp({ create: { width: 96, height: 64, channels: 3, background: '#666' } })
    .jpeg()
    .toBuffer();

describe('Slack message shortcuts in the manifest', () => {
  it('declares the four message shortcuts from the specs, named in the workspace language', () => {
    expect(slackManifest().features.shortcuts).toEqual([
      {
        name: 'Traducir',
        type: 'message',
        callback_id: 'sx_msg_translate',
        description: 'Traduce este mensaje a tu idioma (solo lo ves vos)',
      },
      {
        name: 'Colorear',
        type: 'message',
        callback_id: 'sx_msg_colorize',
        description: 'Colorea la foto de este mensaje con una red neuronal',
      },
      {
        name: 'Detectar caras',
        type: 'message',
        callback_id: 'sx_msg_detect-faces',
        description: 'Encuentra las caras en la foto de este mensaje',
      },
      {
        name: 'Explicar esta imagen',
        type: 'message',
        callback_id: 'sx_msg_explain',
        description: 'Mirá qué ve una red convolucional en la foto de este mensaje',
      },
    ]);
    expect(slackManifest({ lang: 'en' }).features.shortcuts.map((s) => s.name)).toEqual([
      'Translate',
      'Colorize',
      'Detect faces',
      'Explain this image',
    ]);
  });

  it('reads Slack mrkdwn as plain text', () => {
    expect(slackPlainText('Hola <@U123|ana>, mirá <https://x.org/a|esto> &amp; <https://y.org> <!here>')).toBe(
      'Hola ana, mirá esto & https://y.org',
    );
  });
});

describe('Slack message shortcuts (translation and colorizer fixtures)', () => {
  let s: Awaited<ReturnType<typeof startSlackAgainstFake>>;
  beforeAll(async () => {
    s = await startSlackAgainstFake({
      env: {
        SINAPSIS_MODELS_DIR: tempDir(),
        SINAPSIS_TRANSLATION_MODELS: TRANSLATION,
        SINAPSIS_COLORIZE_MODEL: COLORIZER,
      },
    });
  });
  afterAll(() => s?.stop());
  // Calls made since the n-th one (named apart from vitest's hooks).
  const since = (n: number) => (c: SlackCall) => s.fake.calls.indexOf(c) >= n;
  const ephemeralFor = (user: string, n: number) =>
    s.fake.waitFor((c) => since(n)(c) && c.method === 'chat.postEphemeral' && c.args.user === user);
  const use = (action: string, message: { ts: string }, user: string) => {
    const n = s.fake.calls.length;
    const env = s.fake.sendEnvelope('interactive', s.fake.shortcutPayload(`sx_msg_${action}`, message, user));
    return { n, env };
  };

  it('"Traducir": the message’s text in the user’s own Slack language, ephemerally, with share and explain', async () => {
    s.fake.locales.set('U0000101', 'en-GB');
    const msg = s.fake.postedMessage('U0000900', 'El gato es rojo y la red neuronal es muy grande, <@U0000101|ana>.');
    const { n, env } = use('translate', msg, 'U0000101');
    const e = await ephemeralFor('U0000101', n);
    expect(s.fake.envelopes.get(env)!.ackAt).toBeDefined();
    expect(e.args.channel).toBe(CHANNEL);
    expect(e.args.thread_ts).toBeUndefined();
    expect(e.args.text).toMatch(/\n\nes → en · marian-tiny-es-en · \d+ ms$/);
    const [share, explain] = e.args.blocks.at(-1).elements;
    expect([share.text.text, explain.text.text]).toEqual(['Share in the channel', 'Explain']);
    expect(share.value).toBe(e.args.text);
    expect(explain.action_id).toMatch(/^sx:explain:/);

    // A Spanish-speaking user on an English message reads Spanish; the result of nothing else leaks to the channel.
    s.fake.locales.set('U0000102', 'es-LA');
    const en = s.fake.postedMessage('U0000900', 'The cat is red and the neural network is very big.');
    const r2 = use('translate', en, 'U0000102');
    const e2 = await ephemeralFor('U0000102', r2.n);
    expect(e2.args.text).toMatch(/en → es · marian-tiny-en-es/);
    expect(e2.args.blocks.at(-1).elements[0].text.text).toBe('Compartir en el canal');
    expect(s.fake.calls.slice(r2.n).some((c) => c.method === 'chat.postMessage')).toBe(false);

    // Share: posted in the message's thread with who shared it; the ephemeral is removed.
    const m = s.fake.calls.length;
    s.fake.sendEnvelope('interactive', {
      type: 'block_actions',
      user: { id: 'U0000101' },
      team: { id: TEAM },
      channel: { id: CHANNEL },
      container: { type: 'message', message_ts: '1.1', channel_id: CHANNEL, is_ephemeral: true },
      actions: [{ type: 'button', action_id: share.action_id, value: share.value, block_id: 'b', action_ts: '1' }],
      trigger_id: 't',
      api_app_id: 'A0000001',
      token: 'x',
      response_url: `http://127.0.0.1:${s.fake.port}/response/share`,
    });
    const posted = await s.fake.waitFor((c) => since(m)(c) && c.method === 'chat.postMessage');
    expect(posted.args.thread_ts).toBe(msg.ts);
    expect(posted.args.text).toBe(`🌐 <@U0000101> shared a translation:\n${e.args.text}`);
    expect((await s.fake.waitFor((c) => since(m)(c) && c.method === 'response')).args).toMatchObject({
      delete_original: true,
    });
  });

  it('a long translation fills several sections of the ephemeral answer', async () => {
    const long = Array.from(
      { length: 40 },
      (_, i) => `La red neuronal número ${i} aprende filtros y rasgos de las imágenes del curso.`,
    ).join(' ');
    const { n } = use('translate', s.fake.postedMessage('U0000900', long), 'U0000109');
    const e = await ephemeralFor('U0000109', n);
    const sections = e.args.blocks.filter((b: any) => b.type === 'section');
    expect(sections.length).toBeGreaterThan(1);
    expect(sections.every((b: any) => b.text.text.length <= 3000)).toBe(true);
  });

  it('a reply inside a thread is answered in that thread, refusals too', async () => {
    const msg = s.fake.postedMessage('U0000900', 'La red es grande.', [], '1700000000.000001');
    let r = use('translate', msg, 'U0000103');
    const e = await ephemeralFor('U0000103', r.n);
    expect(e.args.text).toMatch(/es → en/);
    expect(e.args.thread_ts).toBe('1700000000.000001');
    // Already in the user's language (English): said privately, in the thread.
    r = use('translate', s.fake.postedMessage('U0000900', 'The network is big.', [], '1700000000.000001'), 'U0000103');
    const same = await ephemeralFor('U0000103', r.n);
    expect(same.args.text).toBe('⚠️ The text is already in English: nothing to translate.');
    expect(same.args.thread_ts).toBe('1700000000.000001');
  });

  it('a message with nothing to act on, or a photo from elsewhere, gets a private, localized refusal', async () => {
    s.fake.locales.set('U0000104', 'es-ES');
    const photoOnly = s.fake.postedMessage('U0000900', '', [{ name: 'grey.jpg', data: await grey() }]);
    let r = use('translate', photoOnly, 'U0000104');
    expect((await ephemeralFor('U0000104', r.n)).args.text).toBe(
      '⚠️ «Traducir» funciona con un mensaje con texto, y este no tiene.',
    );
    r = use('colorize', s.fake.postedMessage('U0000900', 'sin foto'), 'U0000104');
    expect((await ephemeralFor('U0000104', r.n)).args.text).toMatch(
      /^⚠️ «Colorear» funciona con un mensaje con una foto adjunta/,
    );
    const pdf = s.fake.postedMessage('U0000900', '', [
      { name: 'notes.pdf', data: Buffer.from('%PDF'), mimetype: 'application/pdf' },
    ]);
    r = use('explain', pdf, 'U0000104');
    expect((await ephemeralFor('U0000104', r.n)).args.text).toMatch(
      /^⚠️ «Explicar esta imagen» funciona con un mensaje con una foto adjunta/,
    );
    const elsewhere = s.fake.postedMessage('U0000900', '', [
      { name: 'x.jpg', data: await grey(), url: 'http://127.0.0.2:9/x.jpg' },
    ]);
    r = use('colorize', elsewhere, 'U0000104');
    expect((await ephemeralFor('U0000104', r.n)).args.text).toBe(
      '⚠️ Solo leo fotos subidas a Discord o Slack, y la imagen de este mensaje viene de otro sitio. Subí la foto y probá de nuevo.',
    );
    expect(s.fake.calls.slice(r.n).some((c) => c.method === 'chat.postMessage')).toBe(false);
  });

  it('"Colorear": the photo (downloaded with the bot token) colorized, answered in the message’s thread', async () => {
    s.fake.locales.set('U0000105', 'es-LA');
    const msg = s.fake.postedMessage('U0000900', 'mi abuela', [{ name: 'grey.jpg', data: await grey() }]);
    const { n } = use('colorize', msg, 'U0000105');
    const done = await s.fake.waitFor((c) => since(n)(c) && c.method === 'files.completeUploadExternal');
    expect(done.args.thread_ts).toBe(msg.ts);
    const placeholder = s.fake.calls.find((c) => since(n)(c) && c.method === 'chat.postMessage')!;
    expect(placeholder.args.thread_ts).toBe(msg.ts);
    const update = s.fake.calls.find((c) => since(n)(c) && c.method === 'chat.update' && c.args.blocks)!;
    expect(update.args.text).toMatch(/^Coloreada por colorizer-tiny-512/);
    expect(done.args.files.map((f: any) => s.fake.uploads.get(f.id)!.name)).toEqual([
      'colorized.jpg',
      'before-after.jpg',
    ]);
  });

  it('"Explicar esta imagen": the convolutions notes with pictures made from the photo, in the thread', async () => {
    const msg = s.fake.postedMessage('U0000900', '', [
      {
        name: 'grey.png',
        data: await sharp({ create: { width: 80, height: 60, channels: 3, background: '#468' } })
          .png()
          .toBuffer(),
        mimetype: 'image/png',
      },
    ]);
    const { n } = use('explain', msg, 'U0000106');
    const done = await s.fake.waitFor((c) => since(n)(c) && c.method === 'files.completeUploadExternal');
    expect(done.args.thread_ts).toBe(msg.ts);
    const update = s.fake.calls.find((c) => since(n)(c) && c.method === 'chat.update' && c.args.blocks)!;
    expect(update.args.blocks[0].text.text).toMatch(/^\*Convolutional networks \(CNN\)\*/);
    expect(done.args.files.map((f: any) => s.fake.uploads.get(f.id)!.name)).toContain('filters-3x3.png');
  });

  it('a command turned off in the channel: its shortcut is refused the same way', async () => {
    s.fake.admins.add('U0000107');
    s.fake.sendEnvelope(
      'slash_commands',
      s.fake.slashPayload('/sinapsis', 'disable translate --scope channel', 'U0000107'),
    );
    await s.fake.waitFor(
      (c) => c.method === 'chat.postEphemeral' && c.args.user === 'U0000107' && /now off/.test(c.args.text),
    );
    s.fake.locales.set('U0000108', 'es-LA');
    const { n } = use('translate', s.fake.postedMessage('U0000900', 'The cat is red.'), 'U0000108');
    expect((await ephemeralFor('U0000108', n)).args.text).toBe(
      '⚠️ /translate está desactivado en este canal. Los administradores del espacio de trabajo lo pueden activar con /sinapsis enable.',
    );
  });
});

describeWith('Slack "Detectar caras" on a posted photo', [yunetFile, photo], () => {
  let s: Awaited<ReturnType<typeof startSlackAgainstFake>>;
  beforeAll(async () => {
    s = await startSlackAgainstFake();
  });
  afterAll(() => s?.stop());

  it('finds the faces in the message’s photo and answers in its thread', async () => {
    s.fake.locales.set('U0000201', 'es-ES');
    const msg = s.fake.postedMessage('U0000900', 'nosotros', [{ name: 'photo.jpg', data: readFileSync(photo) }]);
    const n = s.fake.calls.length;
    s.fake.sendEnvelope('interactive', s.fake.shortcutPayload('sx_msg_detect-faces', msg, 'U0000201'));
    const done = await s.fake.waitFor(
      (c) => s.fake.calls.indexOf(c) >= n && c.method === 'files.completeUploadExternal',
    );
    expect(done.args.thread_ts).toBe(msg.ts);
    const update = s.fake.calls.find(
      (c) => s.fake.calls.indexOf(c) >= n && c.method === 'chat.update' && c.args.blocks,
    )!;
    expect(update.args.text).toMatch(/^Encontré 2 caras\./);

    // "Blur" under that result re-runs on the same photo, in the same thread.
    const blur = update.args.blocks[2].elements[0].action_id;
    const m = s.fake.calls.length;
    s.fake.sendEnvelope('interactive', {
      type: 'block_actions',
      user: { id: 'U0000201' },
      team: { id: TEAM },
      channel: { id: CHANNEL },
      message: { ts: update.args.ts, thread_ts: msg.ts },
      container: { type: 'message', message_ts: update.args.ts, channel_id: CHANNEL },
      actions: [{ type: 'button', action_id: blur, block_id: 'b', action_ts: '1' }],
      trigger_id: 't',
      api_app_id: 'A0000001',
      token: 'x',
      response_url: 'http://127.0.0.1:9/none',
    });
    const up = await s.fake.waitFor((c) => s.fake.calls.indexOf(c) >= m && c.method === 'files.completeUploadExternal');
    expect(up.args.thread_ts).toBe(msg.ts);
    expect(s.fake.uploads.get(up.args.files[0].id)!.name).toBe('faces-blurred.jpg');
  });
});
