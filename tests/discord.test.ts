// The real discord.js bot against a local fake Discord (tests/fakes/discord): no token, no network.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../commands/index.js';
import { registrationPayload } from '../src/adapters/discord/registration.js';
import { tempDir } from './helpers/app.js';
import { describeWith, facesDir, MODELS_DIR, yunetFile } from './helpers/assets.js';
import { convertLlama2c } from '../src/models/llama2c/convert.js';
import { startBotAgainstFake } from './helpers/discord.js';
import type { RecordedCall } from './fakes/discord/server.js';

const photo = path.join(facesDir, '2008_001009.jpg');
const EPHEMERAL = 64;
const isCallback = (id: string) => (c: RecordedCall) =>
  c.method === 'POST' && c.path.startsWith(`/api/v10/interactions/${id}/`);
const isEdit =
  (id: string, pred: (c: RecordedCall) => boolean = () => true) =>
  (c: RecordedCall) =>
    c.method === 'PATCH' && c.path.includes(`/tok-${id}/messages/@original`) && pred(c);
const customIds = (c: RecordedCall): string[] =>
  (c.json?.components ?? []).flatMap((r: any) => r.components.map((b: any) => b.custom_id));

describe('Discord registration', () => {
  it('registers every spec once, with es-ES, es-419 and en-US texts, attachment options and limits', async () => {
    const s = await startBotAgainstFake();
    try {
      const put = await s.fake.waitFor((c) => c.method === 'PUT');
      expect(put.path).toMatch(/\/guilds\/\d+\/commands$/);
      expect(put.json).toEqual(registrationPayload());
      expect(put.json.filter((c: any) => c.type === 1).map((c: any) => c.name)).toEqual([
        ...COMMANDS.map((c) => c.name),
        'sinapsis',
      ]);
      const admin = put.json.find((c: any) => c.name === 'sinapsis');
      expect(admin).toMatchObject({ default_member_permissions: '32', contexts: [0] });
      expect(admin.options.map((o: any) => [o.type, o.name, o.name_localizations['es-419']])).toEqual([
        [1, 'enable', 'activar'],
        [1, 'disable', 'desactivar'],
        [1, 'roles', 'roles'],
        [1, 'limits', 'limites'],
        [1, 'status', 'estado'],
        [1, 'language', 'idioma'],
      ]);
      const faces = put.json.find((c: any) => c.name === 'detect-faces');
      expect(faces.name_localizations).toEqual({
        'en-US': 'detect-faces',
        'es-ES': 'detectar-caras',
        'es-419': 'detectar-caras',
      });
      expect(faces.description_localizations['es-419']).toMatch(/caras/);
      // A photo OR a sample: the attachment is optional, the sample option offers the shipped photos as choices.
      expect(faces.options[0]).toMatchObject({
        type: 11,
        name: 'image',
        required: false,
        name_localizations: { 'es-ES': 'imagen' },
      });
      for (const name of ['detect-faces', 'colorize', 'explain']) {
        const sample = put.json.find((c: any) => c.name === name).options.at(-1);
        expect(sample).toMatchObject({
          type: 3,
          name: 'sample',
          required: false,
          name_localizations: { 'en-US': 'sample', 'es-ES': 'ejemplo', 'es-419': 'ejemplo' },
        });
        expect(sample.choices.map((c: any) => c.value)).toEqual(['astronaut', 'camera', 'coffee', 'chelsea']);
        // The menu shows what each photo is, in the user's language, not its id.
        expect(sample.choices.at(-1)).toEqual({
          name: 'Chelsea the cat',
          value: 'chelsea',
          name_localizations: { 'en-US': 'Chelsea the cat', 'es-ES': 'Chelsea, la gata', 'es-419': 'Chelsea, la gata' },
        });
        expect(sample.description_localizations['es-419']).toMatch(
          /^¿No tenés una foto\? Usá una de ejemplo: astronaut, camera/,
        );
      }
      expect(put.json.find((c: any) => c.name === 'translate').options.some((o: any) => o.name === 'sample')).toBe(
        false,
      );
      expect(faces.options[2]).toMatchObject({ type: 10, min_value: 0.3, max_value: 0.99 });
      const translate = put.json.find((c: any) => c.name === 'translate');
      expect(translate.options[0]).toMatchObject({ type: 3, max_length: 4000, min_length: 1 });
      expect(translate.options[1]).toMatchObject({
        type: 3,
        min_length: 2,
        max_length: 8,
        name_localizations: { 'es-419': 'desde' },
      });
    } finally {
      await s.stop();
    }
  });
});

describe('Discord without models', () => {
  let s: Awaited<ReturnType<typeof startBotAgainstFake>>;
  beforeAll(async () => {
    s = await startBotAgainstFake({
      SINAPSIS_MODELS_DIR: tempDir(),
      SINAPSIS_COLORIZE_MODEL: path.join(import.meta.dirname, 'fixtures/models/colorizer-tiny/colorizer-tiny-512.onnx'),
    });
  });
  afterAll(() => s.stop());

  it('/colorize (fixture network): the reply carries the colorized photo and the before/after picture', async () => {
    const att = s.fake.attachment(
      'grey.jpg',
      await sharp({ create: { width: 96, height: 64, channels: 3, background: '#666' } })
        .jpeg()
        .toBuffer(),
    );
    const id = s.fake.command('colorize', [{ name: 'image', type: 11, value: att.id }], {
      attachments: { [att.id]: att },
      locale: 'es-419',
    });
    const edit = await s.fake.waitFor(isEdit(id, (c) => c.files.length > 0));
    expect(edit.files.map((f) => f.name)).toEqual(['colorized.jpg', 'before-after.jpg']);
    expect(edit.json.content).toMatch(/^Coloreada por colorizer-tiny-512/);
  });

  it('refuses an attachment URL that is not Discord’s CDN, privately, without downloading it', async () => {
    const att = s.fake.attachment('photo.jpg', Buffer.from('x'), 'http://127.0.0.2:9/evil.jpg');
    const id = s.fake.command('detect-faces', [{ name: 'image', type: 11, value: att.id }], {
      attachments: { [att.id]: att },
    });
    const cb = await s.fake.waitFor(isCallback(id));
    expect(cb.json.type).toBe(4);
    expect(cb.json.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(cb.json.data.content).toMatch(/only read images attached/);
  });

  it('a request refused before any work answers privately in the user’s language', async () => {
    const id = s.fake.command('colorize', [], { locale: 'es-419' });
    const cb = await s.fake.waitFor(isCallback(id));
    expect(cb.json.type).toBe(4);
    expect(cb.json.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(cb.json.data.content).toBe(
      '⚠️ Falta la opción obligatoria "image". ¿No tenés una foto? Elegí una de ejemplo con la opción "ejemplo" (--sample en Slack y en la CLI): astronaut, camera, coffee, chelsea.',
    );
  });

  it('a task that fails after the defer edits the reply with the localized error (never "thinking…" forever)', async () => {
    const att = s.fake.attachment('photo.jpg', readFileSync(path.join(import.meta.dirname, '../package.json')));
    const id = s.fake.command('detect-faces', [{ name: 'image', type: 11, value: att.id }], {
      attachments: { [att.id]: att },
      locale: 'es-ES',
    });
    expect((await s.fake.waitFor(isCallback(id))).json.type).toBe(5);
    const edit = await s.fake.waitFor(isEdit(id));
    expect(edit.json.content).toMatch(/^⚠️ Ese archivo no es una imagen/);
    expect(edit.json.components).toEqual([]);
  });

  it('a missing model is reported in the reply, and the bot keeps answering', async () => {
    const att = s.fake.attachment(
      'grey.jpg',
      await sharp({ create: { width: 32, height: 32, channels: 3, background: '#777' } })
        .jpeg()
        .toBuffer(),
    );
    const id = s.fake.command('detect-faces', [{ name: 'image', type: 11, value: att.id }], {
      attachments: { [att.id]: att },
    });
    expect((await s.fake.waitFor(isEdit(id))).json.content).toMatch(/model "yunet-n" is not installed/);
    const again = s.fake.command('colorize', []);
    expect((await s.fake.waitFor(isCallback(again))).json.type).toBe(4);
  });
});

describe('Discord moderation', () => {
  let s: Awaited<ReturnType<typeof startBotAgainstFake>>;
  const MANAGE_GUILD = '32';
  beforeAll(async () => {
    s = await startBotAgainstFake({ SINAPSIS_MODELS_DIR: tempDir() });
  });
  afterAll(() => s.stop());
  const sub = (name: string, options: Record<string, unknown>) => [
    { name, type: 1, options: Object.entries(options).map(([k, v]) => ({ name: k, type: 3, value: v })) },
  ];
  const reply = async (id: string) => (await s.fake.waitFor(isCallback(id))).json;

  it('refuses /sinapsis to a member without Manage Server, privately, and changes nothing', async () => {
    const r = await reply(s.fake.command('sinapsis', sub('disable', { command: 'explain' }), { locale: 'es-419' }));
    expect(r.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(r.data.content).toBe(
      '⚠️ Solo quienes tienen el permiso gestionar servidor pueden cambiar la configuración del bot.',
    );
    expect(
      (
        await s.app.service.admin({
          sub: 'status',
          options: {},
          ctx: { platform: 'test', userId: 'x', serverId: '100000000000000001', lang: 'en', isAdmin: true },
        })
      ).data.switches,
    ).toContainEqual(expect.objectContaining({ command: 'explain', enabled: true }));
  });

  it('a moderator turns /explain off in this channel; a student then gets a private refusal in their language', async () => {
    const r = await reply(
      s.fake.command('sinapsis', sub('disable', { command: 'explain', scope: 'channel' }), {
        permissions: MANAGE_GUILD,
        userId: '600000000000000009',
      }),
    );
    expect(r.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(r.data.content).toBe('/explain: now off (this channel); before: on (default).');
    const refused = await reply(
      s.fake.command('explain', [{ name: 'topic', type: 3, value: 'neurona' }], { locale: 'es-ES' }),
    );
    expect(refused.type).toBe(4);
    expect(refused.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(refused.data.content).toBe(
      '⚠️ /explain está desactivado en este canal. Quienes tienen el permiso Gestionar servidor lo pueden activar con /sinapsis enable.',
    );
    const on = await reply(
      s.fake.command('sinapsis', sub('enable', { command: 'explain', scope: 'channel' }), {
        permissions: MANAGE_GUILD,
      }),
    );
    expect(on.data.content).toMatch(/now on \(this channel\)/);
  });

  it('role rules use the member’s roles; status lists them with the last changes', async () => {
    await reply(
      s.fake.command('sinapsis', sub('roles', { command: 'explain', role: '<@&700000000000000001>' }), {
        permissions: MANAGE_GUILD,
      }),
    );
    const refused = await reply(
      s.fake.command('explain', [{ name: 'topic', type: 3, value: 'neuron' }], { roles: ['700000000000000002'] }),
    );
    expect(refused.data.content).toMatch(/^⚠️ Your roles do not allow \/explain here/);
    const allowed = await reply(
      s.fake.command('explain', [{ name: 'topic', type: 3, value: 'neuron' }], { roles: ['700000000000000001'] }),
    );
    expect(allowed.data?.content).toBeUndefined();
    expect(allowed.type).toBe(5);
    const status = await reply(s.fake.command('sinapsis', sub('status', {}), { permissions: MANAGE_GUILD }));
    expect(status.data.content).toMatch(/Roles: \/explain allow 700000000000000001/);
    expect(status.data.content).toMatch(/Last changes:\n• .* discord:600000000000000001: roles explain/);
  });
});

describeWith('Discord /detect-faces end to end', [yunetFile, photo], () => {
  let s: Awaited<ReturnType<typeof startBotAgainstFake>>;
  const dataDir = tempDir();
  beforeAll(async () => {
    s = await startBotAgainstFake({ SINAPSIS_DATA_DIR: dataDir, SINAPSIS_CONCURRENCY: '1' });
  });
  afterAll(() => s?.stop());
  const send = (opts: { locale?: string; userId?: string; blur?: boolean } = {}) => {
    const att = s.fake.attachment('photo.jpg', readFileSync(photo));
    const options = [
      { name: 'image', type: 11, value: att.id },
      ...(opts.blur ? [{ name: 'blur', type: 5, value: true }] : []),
    ];
    return s.fake.command('detect-faces', options, {
      attachments: { [att.id]: att },
      locale: opts.locale,
      userId: opts.userId,
    });
  };

  it('defers at once, then edits the reply with the count, a JPEG attachment (a photo in, a photo out) and buttons', async () => {
    const id = send();
    const cb = await s.fake.waitFor(isCallback(id));
    expect(cb.json).toMatchObject({ type: 5 });
    const edit = await s.fake.waitFor(isEdit(id, (c) => c.files.length > 0));
    expect(edit.json.content).toMatch(/^Found 2 faces\./);
    expect(edit.files[0]!.name).toBe('faces.jpg');
    expect((await sharp(edit.files[0]!.data).metadata()).format).toBe('jpeg');
    expect(customIds(edit).map((c) => c.split(':')[1])).toEqual(['blur', 'explain', 'delete']);
  });

  it('/detect-faces with a sample and no attachment answers with her face', async () => {
    const id = s.fake.command('detect-faces', [{ name: 'sample', type: 3, value: 'astronaut' }], { locale: 'en-US' });
    const edit = await s.fake.waitFor(isEdit(id, (c) => c.files.length > 0));
    expect(edit.json.content).toMatch(/^Found 1 face\./);
    expect(edit.files[0]!.name).toBe('faces.jpg');
  });

  it('answers a Spanish-locale user in Spanish', async () => {
    const id = send({ locale: 'es-ES' });
    const edit = await s.fake.waitFor(isEdit(id, (c) => c.files.length > 0));
    expect(edit.json.content).toMatch(/^Encontré 2 caras\./);
    expect(edit.json.components[0].components.map((b: any) => b.label)).toEqual([
      'Difuminar caras',
      'Explicar',
      'Borrar',
    ]);
  });

  it('shows and updates the queue position under load, and every request gets its own result', async () => {
    const ids = Array.from({ length: 5 }, (_, k) =>
      send({ userId: `70000000000000000${k}`, locale: k % 2 ? 'es-419' : 'en-US' }),
    );
    const finals = await Promise.all(ids.map((id) => s.fake.waitFor(isEdit(id, (c) => c.files.length > 0))));
    for (const [k, f] of finals.entries())
      expect(f.json.content).toMatch(k % 2 ? /^Encontré 2 caras/ : /^Found 2 faces/);
    const progress = s.fake.calls.filter(
      (c) => ids.some((id) => isEdit(id)(c)) && /⏳ (Queued|En cola): \d/.test(c.json?.content ?? ''),
    );
    expect(progress.length).toBeGreaterThan(0);
    // The last job waited behind others and was told so, and its final edit came after its progress edits.
    const last = ids.at(-1)!;
    const lastEdits = s.fake.calls.filter(isEdit(last));
    expect(lastEdits[0]!.json.content).toMatch(/⏳ (Queued|En cola): [1-4]/);
    expect(lastEdits.at(-1)!.files.length).toBe(1);
  });

  it('buttons: blur re-runs on the same photo, explain answers privately, delete only for the asker — also after a restart', async () => {
    const id = send({ userId: '800000000000000001' });
    const first = await s.fake.waitFor(isEdit(id, (c) => c.files.length > 0));
    const [blurId, explainId, deleteId] = customIds(first);
    const message = { id: '900000000000000001' };

    // A restart: the same Discord, a new bot on the same data dir.
    await s.bot.stop();
    const restarted = await startBotAgainstFake({ SINAPSIS_DATA_DIR: dataDir }, s.fake);
    try {
      const f = restarted.fake;
      const b1 = f.button(blurId!, message, { userId: '800000000000000002' });
      expect((await f.waitFor(isCallback(b1))).json.type).toBe(5);
      const blurred = await f.waitFor(isEdit(b1, (c) => c.files.length > 0));
      expect(blurred.files[0]!.name).toBe('faces-blurred.jpg');
      expect(customIds(blurred)[0]).toMatch(/^sx:boxes:/);

      const b2 = f.button(explainId!, message, { locale: 'es-419' });
      const explained = await f.waitFor(isCallback(b2));
      expect(explained.json.data.flags & EPHEMERAL).toBe(EPHEMERAL);
      expect(explained.json.data.content).toMatch(/yunet-n/);

      const b3 = f.button(deleteId!, message, { userId: '800000000000000002' });
      const refused = await f.waitFor(isCallback(b3));
      expect(refused.json.data.content).toMatch(/Only the person who ran the command/);

      const b4 = f.button(deleteId!, message, { userId: '800000000000000001' });
      expect((await f.waitFor(isCallback(b4))).json.type).toBe(6);
      await f.waitFor((c) => c.method === 'DELETE' && c.path.includes(`/tok-${b4}/messages/@original`));

      const b5 = f.button('sx:blur:doesnotexist', message);
      expect((await f.waitFor(isCallback(b5))).json.data.content).toMatch(/expired/);
    } finally {
      await restarted.stop();
    }
  });
});

describe('Discord /explain follow-ups', () => {
  it('answers with "Más simple", "Un ejemplo", "¿Y en el bot?" buttons; one re-asks the same passage in the simpler version', async () => {
    const s = await startBotAgainstFake({ SINAPSIS_MODELS_DIR: tempDir() });
    try {
      const id = s.fake.command('explain', [{ name: 'topic', type: 3, value: '¿Qué es softmax?' }], {
        locale: 'es-419',
      });
      const edit = await s.fake.waitFor(
        isEdit(id, (c) => Array.isArray(c.json?.components) && c.json.components.length > 0),
      );
      expect(edit.json.content).toMatch(/^\*\*Softmax\*\*/);
      expect(edit.json.components[0].components.map((b: any) => b.label)).toEqual([
        'Más simple',
        'Un ejemplo',
        '¿Y en el bot?',
      ]);
      expect(edit.json.components[1].components.map((b: any) => b.label)).toEqual(['Explicar', 'Borrar']);
      const [simpler] = customIds(edit);
      expect(simpler).toMatch(/^sx:follow:/);
      const b = s.fake.button(simpler!, { id: '900000000000000002' }, { locale: 'es-419' });
      const answer = await s.fake.waitFor(isEdit(b, (c) => /Más simple/.test(c.json?.content ?? '')));
      expect(answer.json.content).toMatch(/^\*\*Softmax\*\* · Más simple\nSoftmax transforma puntajes en porcentajes/);
    } finally {
      await s.stop();
    }
  });
});

describeWith('Discord /generate-text streaming', [path.join(MODELS_DIR, 'stories260K-llama2c/stories260K.bin')], () => {
  let s: Awaited<ReturnType<typeof startBotAgainstFake>>;
  beforeAll(async () => {
    const out = path.join(tempDir(), 'stories260K');
    convertLlama2c({
      checkpoint: path.join(MODELS_DIR, 'stories260K-llama2c/stories260K.bin'),
      tokenizer: path.join(MODELS_DIR, 'stories260K-llama2c/tok512.model'),
      outDir: out,
    });
    s = await startBotAgainstFake({ SINAPSIS_TEXT_MODEL: out });
  });
  afterAll(() => s?.stop());

  it('edits the reply as the text grows, then the final text with "again"; "again" draws a new seed', async () => {
    const id = s.fake.command(
      'generate-text',
      [
        { name: 'prompt', type: 3, value: 'Once upon a time' },
        { name: 'max-new-tokens', type: 4, value: 200 },
        { name: 'temperature', type: 10, value: 0.8 },
      ],
      { locale: 'es-419' },
    );
    expect((await s.fake.waitFor(isCallback(id))).json.type).toBe(5);
    const final = await s.fake.waitFor(isEdit(id, (c) => /🤖 Generado por IA/.test(c.json?.content ?? '')));
    const edits = s.fake.calls.filter(isEdit(id));
    expect(edits.some((c) => / ▌$/.test(c.json.content))).toBe(true);
    expect(edits.at(-1)).toBe(final);
    const seed = /semilla (\d+)/.exec(final.json.content)![1];
    const again = customIds(final)[0]!;
    expect(again).toMatch(/^sx:again:/);
    const b = s.fake.button(again, { id: '900000000000000002' }, { locale: 'es-419' });
    const second = await s.fake.waitFor(isEdit(b, (c) => /🤖/.test(c.json?.content ?? '')));
    expect(/semilla (\d+)/.exec(second.json.content)![1]).not.toBe(seed);
  });
});
