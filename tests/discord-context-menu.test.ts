// Discord message context menus (right-click a message → Apps → …) with the real
// discord.js client against the fake Discord: registration, each action end to end, refusals.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/app.js';
import { describeWith, facesDir, ROOT, yunetFile } from './helpers/assets.js';
import { startBotAgainstFake } from './helpers/discord.js';
import { GUILD_ID, CHANNEL_ID, type RecordedCall } from './fakes/discord/server.js';
import { messageCommandsPayload, MAX_MESSAGE_COMMANDS } from '../src/adapters/discord/context-menu.js';
import { COMMANDS } from '../commands/index.js';
import { discordPlainText } from '../src/adapters/message-action.js';

const EPHEMERAL = 64;
const FIXTURES = path.join(ROOT, 'tests/fixtures/models');
const TRANSLATION = `es-en=${FIXTURES}/marian-tiny-es-en,en-es=${FIXTURES}/marian-tiny-en-es`;
const COLORIZER = path.join(FIXTURES, 'colorizer-tiny/colorizer-tiny-512.onnx');
const photo = path.join(facesDir, '2008_001009.jpg');
const isCallback = (id: string) => (c: RecordedCall) =>
  c.method === 'POST' && c.path.startsWith(`/api/v10/interactions/${id}/`);
const isEdit =
  (id: string, pred: (c: RecordedCall) => boolean = () => true) =>
  (c: RecordedCall) =>
    c.method === 'PATCH' && c.path.includes(`/tok-${id}/messages/@original`) && pred(c);
const hasButtons = (c: RecordedCall) => (c.json?.components ?? []).length > 0;
const grey = () =>
  sharp({ create: { width: 96, height: 64, channels: 3, background: '#666' } })
    .jpeg()
    .toBuffer();

describe('Discord message commands: registration', () => {
  it('registers the four message actions (type 3) with es-ES, es-419 and en-US names, once', async () => {
    const dataDir = tempDir();
    const s = await startBotAgainstFake({ SINAPSIS_DATA_DIR: dataDir });
    try {
      const put = await s.fake.waitFor((c) => c.method === 'PUT');
      const menus = put.json.filter((c: any) => c.type === 3);
      expect(menus.map((c: any) => [c.name, c.name_localizations['es-ES'], c.name_localizations['es-419']])).toEqual([
        ['Translate', 'Traducir', 'Traducir'],
        ['Colorize', 'Colorear', 'Colorear'],
        ['Detect faces', 'Detectar caras', 'Detectar caras'],
        ['Explain this image', 'Explicar esta imagen', 'Explicar esta imagen'],
      ]);
      for (const m of menus) {
        expect(m.description).toBeUndefined();
        expect(m.options).toBeUndefined();
        expect(m.name.length).toBeLessThanOrEqual(32);
      }
      // Slash commands are still there, each once.
      expect(put.json.filter((c: any) => c.type === 1).map((c: any) => c.name)).toEqual([
        ...COMMANDS.map((c) => c.name),
        'sinapsis',
      ]);
      // A restart with nothing changed does not register again.
      await s.bot.stop();
      const again = await startBotAgainstFake({ SINAPSIS_DATA_DIR: dataDir }, s.fake);
      await again.stop();
      expect(s.fake.calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
    } finally {
      await s.stop();
    }
  });

  it('reads a message without mention and custom-emoji markup', () => {
    expect(
      discordPlainText(
        'Hola <@600000000000000001>, mirá <#300000000000000001> <:gato:123456789012345678> <a:baile:1> ya',
      ),
    ).toBe('Hola, mirá ya');
  });

  it(`refuses to build more than ${MAX_MESSAGE_COMMANDS} message commands (Discord's limit)`, () => {
    const many = Array.from({ length: 6 }, (_, k) => ({ ...COMMANDS[0]!, name: `x${k}` }));
    expect(() => messageCommandsPayload(many)).toThrow(/Discord allows 5 message commands; the specs declare 6/);
  });
});

describe('Discord message commands (translation and colorizer fixtures)', () => {
  let s: Awaited<ReturnType<typeof startBotAgainstFake>>;
  beforeAll(async () => {
    s = await startBotAgainstFake({
      SINAPSIS_MODELS_DIR: tempDir(),
      SINAPSIS_TRANSLATION_MODELS: TRANSLATION,
      SINAPSIS_COLORIZE_MODEL: COLORIZER,
    });
  });
  afterAll(() => s?.stop());
  const refusal = async (id: string) => {
    const cb = await s.fake.waitFor(isCallback(id));
    expect(cb.json.type).toBe(4);
    expect(cb.json.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    return cb.json.data.content as string;
  };

  it('"Translate": the message’s text into the clicking user’s own language, privately, with share and explain buttons', async () => {
    const msg = s.fake.postedMessage('El gato es rojo y la red neuronal es muy grande. <@600000000000000001>');
    const id = s.fake.messageCommand('Translate', msg, { locale: 'en-GB' });
    const cb = await s.fake.waitFor(isCallback(id));
    expect(cb.json.type).toBe(5);
    expect(cb.json.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    const edit = await s.fake.waitFor(isEdit(id, hasButtons));
    expect(edit.json.content).toMatch(/\n\nes → en · marian-tiny-es-en · \d+ ms$/);
    const buttons = edit.json.components[0].components;
    expect(buttons.map((b: any) => b.label)).toEqual(['Share in the channel', 'Explain']);
    expect(buttons[0].custom_id).toBe(`sxshare:${msg.id}`);

    // A Spanish-speaking user on an English message gets Spanish, whatever the channel speaks.
    const en = s.fake.postedMessage('The cat is red and the neural network is very big.');
    const id2 = s.fake.messageCommand('Translate', en, { locale: 'es-ES' });
    const edit2 = await s.fake.waitFor(isEdit(id2, hasButtons));
    expect(edit2.json.content).toMatch(/en → es · marian-tiny-en-es/);
    expect(edit2.json.components[0].components.map((b: any) => b.label)).toEqual(['Compartir en el canal', 'Explicar']);

    // Share: the private answer is posted in the channel with who shared it and a link to the original.
    const b = s.fake.button(
      buttons[0].custom_id,
      { id: '900000000000000010', content: edit.json.content, flags: EPHEMERAL },
      { userId: '600000000000000005' },
    );
    expect((await s.fake.waitFor(isCallback(b))).json).toMatchObject({ type: 7, data: { components: [] } });
    const shared = await s.fake.waitFor(
      (c) => c.method === 'POST' && c.path.includes(`/tok-${b}`) && !c.path.includes('/callback'),
    );
    expect(shared.json.content).toBe(
      `🌐 <@600000000000000005> shared a translation of https://discord.com/channels/${GUILD_ID}/${CHANNEL_ID}/${msg.id}:\n${edit.json.content}`,
    );
    expect(shared.json.flags ?? 0).toBe(0);
    expect(shared.json.allowed_mentions).toEqual({ parse: [] });
  });

  it('a translation longer than one Discord message continues in private follow-ups', async () => {
    const long = Array.from(
      { length: 40 },
      (_, i) => `La red neuronal número ${i} aprende filtros y rasgos de las imágenes del curso.`,
    ).join(' ');
    const id = s.fake.messageCommand('Translate', s.fake.postedMessage(long), { locale: 'en-US' });
    const edit = await s.fake.waitFor(isEdit(id, hasButtons));
    const rest = await s.fake.waitFor((c) => c.method === 'POST' && c.path.endsWith(`/tok-${id}`));
    expect(edit.json.content.length).toBeLessThanOrEqual(2000);
    // Only "explain": sharing would repost half of it.
    expect(edit.json.components[0].components.map((b: any) => b.label)).toEqual(['Explain']);
    expect(rest.json.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(rest.json.content).toMatch(/es → en · marian-tiny-es-en/);
  });

  it('"Traducir" on a message already in the user’s language says so', async () => {
    const id = s.fake.messageCommand('Translate', s.fake.postedMessage('El gato es rojo y la red es grande.'), {
      locale: 'es-419',
    });
    expect((await s.fake.waitFor(isEdit(id))).json.content).toBe(
      '⚠️ El texto ya está en español: no hay nada que traducir.',
    );
  });

  it('a message with nothing to act on gets a private, localized explanation', async () => {
    const att = s.fake.attachment('grey.jpg', await grey());
    expect(
      await refusal(s.fake.messageCommand('Translate', s.fake.postedMessage('', [att]), { locale: 'es-ES' })),
    ).toBe('⚠️ «Traducir» funciona con un mensaje con texto, y este no tiene.');
    expect(await refusal(s.fake.messageCommand('Colorize', s.fake.postedMessage('hola'), { locale: 'en-US' }))).toBe(
      '⚠️ "Colorize" works on a message with a photo attached (JPEG, PNG or WebP), and this one has none.',
    );
    const pdf = s.fake.attachment('notes.pdf', Buffer.from('%PDF'), undefined, 'application/pdf');
    expect(
      await refusal(s.fake.messageCommand('Explain this image', s.fake.postedMessage('', [pdf]), { locale: 'es-419' })),
    ).toMatch(/^⚠️ «Explicar esta imagen» funciona con un mensaje con una foto/);
  });

  it('a message too long for the translator is refused with its length and the limit', async () => {
    expect(
      await refusal(
        s.fake.messageCommand('Translate', s.fake.postedMessage('palabra '.repeat(600)), { locale: 'en-US' }),
      ),
    ).toBe(
      '⚠️ This message is too long for "Translate" (4799 characters; the limit is 4000). Use /translate with a part of it.',
    );
  });

  it('an image from another host is refused, privately, without downloading it', async () => {
    const att = s.fake.attachment('photo.jpg', await grey(), 'http://127.0.0.2:9/evil.jpg');
    expect(
      await refusal(s.fake.messageCommand('Colorize', s.fake.postedMessage('', [att]), { locale: 'es-419' })),
    ).toBe(
      '⚠️ Solo leo fotos subidas a Discord o Slack, y la imagen de este mensaje viene de otro sitio. Subí la foto y probá de nuevo.',
    );
  });

  it('"Colorear": the message’s photo, answered publicly like /colorize', async () => {
    const att = s.fake.attachment('grey.jpg', await grey());
    const id = s.fake.messageCommand('Colorize', s.fake.postedMessage('mi abuela', [att]), { locale: 'es-419' });
    const cb = await s.fake.waitFor(isCallback(id));
    expect(cb.json.type).toBe(5);
    expect((cb.json.data?.flags ?? 0) & EPHEMERAL).toBe(0);
    const edit = await s.fake.waitFor(isEdit(id, (c) => c.files.length > 0));
    expect(edit.files.map((f) => f.name)).toEqual(['colorized.jpg', 'before-after.jpg']);
    expect(edit.json.content).toMatch(/^Coloreada por colorizer-tiny-512/);
    expect(edit.json.components[0].components.map((b: any) => b.label)).toEqual(['Otra vez', 'Explicar', 'Borrar']);
  });

  it('"Explain this image": the convolutions notes with the pictures made from the message’s photo', async () => {
    const att = s.fake.attachment(
      'grey.png',
      await sharp({ create: { width: 80, height: 60, channels: 3, background: '#468' } })
        .png()
        .toBuffer(),
      undefined,
      'image/png',
    );
    const id = s.fake.messageCommand('Explain this image', s.fake.postedMessage('', [att]), { locale: 'en-US' });
    const edit = await s.fake.waitFor(isEdit(id, (c) => c.files.length > 0));
    expect(edit.json.content).toMatch(/^\*\*Convolutional networks \(CNN\)\*\*/);
    expect(edit.files.map((f) => f.name)).toContain('filters-3x3.png');
  });

  it('a command turned off in the channel: its context-menu entry is refused the same way', async () => {
    const sub = (name: string) => [
      {
        name,
        type: 1,
        options: [
          { name: 'command', type: 3, value: 'translate' },
          { name: 'scope', type: 3, value: 'channel' },
        ],
      },
    ];
    const off = await s.fake.waitFor(isCallback(s.fake.command('sinapsis', sub('disable'), { permissions: '32' })));
    expect(off.json.data.content).toMatch(/now off \(this channel\)/);
    const msg = s.fake.postedMessage('The cat is red.');
    expect(await refusal(s.fake.messageCommand('Translate', msg, { locale: 'es-ES' }))).toBe(
      '⚠️ /translate está desactivado en este canal. Quienes tienen el permiso Gestionar servidor lo pueden activar con /sinapsis enable.',
    );
    await s.fake.waitFor(isCallback(s.fake.command('sinapsis', sub('enable'), { permissions: '32' })));
    expect((await s.fake.waitFor(isCallback(s.fake.messageCommand('Translate', msg)))).json.type).toBe(5);
  });

  it('the command’s quota counts its context-menu uses too', async () => {
    const limits = [
      {
        name: 'limits',
        type: 1,
        options: [
          { name: 'command', type: 3, value: 'colorize' },
          { name: 'quota', type: 3, value: '1' },
        ],
      },
    ];
    expect(
      (await s.fake.waitFor(isCallback(s.fake.command('sinapsis', limits, { permissions: '32' })))).json.data.content,
    ).toMatch(/1 per user per day/);
    const user = '600000000000000042';
    const att = s.fake.attachment('grey.jpg', await grey());
    const first = s.fake.command('colorize', [{ name: 'image', type: 11, value: att.id }], {
      attachments: { [att.id]: att },
      userId: user,
    });
    await s.fake.waitFor(isEdit(first, (c) => c.files.length > 0));
    const att2 = s.fake.attachment('grey.jpg', await grey());
    expect(
      await refusal(s.fake.messageCommand('Colorize', s.fake.postedMessage('', [att2]), { userId: user })),
    ).toMatch(/^⚠️ You have used \/colorize 1 times today, the daily limit here/);
  });
});

describeWith('Discord "Detect faces" on a posted photo', [yunetFile, photo], () => {
  let s: Awaited<ReturnType<typeof startBotAgainstFake>>;
  beforeAll(async () => {
    s = await startBotAgainstFake();
  });
  afterAll(() => s?.stop());

  it('finds the faces in the message’s photo; "blur" re-runs on the same photo', async () => {
    const att = s.fake.attachment('photo.jpg', readFileSync(photo));
    const id = s.fake.messageCommand('Detect faces', s.fake.postedMessage('look at us', [att]), { locale: 'es-ES' });
    const edit = await s.fake.waitFor(isEdit(id, (c) => c.files.length > 0));
    expect(edit.json.content).toMatch(/^Encontré 2 caras\./);
    expect(edit.files[0]!.name).toBe('faces.jpg');
    const blur = edit.json.components[0].components[0].custom_id;
    const b = s.fake.button(blur, { id: '900000000000000011' });
    expect((await s.fake.waitFor(isEdit(b, (c) => c.files.length > 0))).files[0]!.name).toBe('faces-blurred.jpg');
  });
});
