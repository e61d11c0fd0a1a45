import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitSentences } from '../src/tasks/translate.js';
import { tempDir, testApp } from './helpers/app.js';
import { ROOT } from './helpers/assets.js';

// Tiny random-weight Marian models made by tests/fixtures/make-marian.ts: the real
// transformers.js translation pipeline runs on them; their output is gibberish.
const FIXTURES = path.join(ROOT, 'tests/fixtures/models');
const MODELS = `es-en=${FIXTURES}/marian-tiny-es-en,en-es=${FIXTURES}/marian-tiny-en-es`;

describe('sentence splitting', () => {
  it('splits sentences and keeps paragraph ends', () => {
    expect(splitSentences('Hola. ¿Cómo estás?\n\nBien, gracias.', 'es')).toEqual([
      { sentence: 'Hola.', endsParagraph: false },
      { sentence: '¿Cómo estás?', endsParagraph: true },
      { sentence: 'Bien, gracias.', endsParagraph: true },
    ]);
  });
});

describe('/translate through the transformers.js pipeline (tiny Marian fixtures)', () => {
  let app: ReturnType<typeof testApp>;
  beforeAll(() => {
    app = testApp({ SINAPSIS_TRANSLATION_MODELS: MODELS });
  });
  afterAll(() => app.dispose());
  const translate = (options: Record<string, unknown>, lang: 'es' | 'en' = 'en') =>
    app.service.run({ command: 'translate', options, ctx: { platform: 'test', userId: 'u', lang } });

  it('detects the source language and picks the target: Spanish → English, anything else → Spanish', async () => {
    const es = await translate({ text: 'El gato es rojo y la red es grande.' });
    expect([es.data.from, es.data.to]).toEqual(['es', 'en']);
    expect(es.model).toBe('marian-tiny-es-en');
    expect(es.text).toMatch(/es → en · marian-tiny-es-en · \d+ ms$/);
    const en = await translate({ text: 'The cat is red and the network is big.' });
    expect([en.data.from, en.data.to]).toEqual(['en', 'es']);
  });

  it('short Spanish or English texts are decided between es and en first (never Zulu)', async () => {
    for (const [text, from] of [
      ['hola mundo', 'es'],
      ['gracias', 'es'],
      ['thank you', 'en'],
      ['hello world', 'en'],
      ['buenos días', 'es'],
    ] as const) {
      expect((await translate({ text })).data.from, text).toBe(from);
    }
    // No signal at all ("ok"): the user's own language decides.
    expect((await translate({ text: 'ok' }, 'es')).data.from).toBe('es');
    expect((await translate({ text: 'ok' }, 'en')).data.from).toBe('en');
  });

  it('batches long input by sentence and keeps the order', async () => {
    const sentences = Array.from({ length: 11 }, (_, i) => `El gato ${'abcdefghijk'[i]} es rojo.`);
    const whole = await translate({ text: sentences.join(' '), from: 'es', to: 'en' });
    expect(whole.data.sentences).toBe(11);
    const { translator } = await app.models.translator('es', 'en');
    const one = async (s: string) =>
      (
        (await translator(s, { max_new_tokens: 16 + s.length } as never)) as { translation_text: string }[]
      )[0]!.translation_text.trim();
    const each = [];
    for (const s of sentences) each.push(await one(s));
    expect(whole.data.text).toBe(each.join(' '));
  });

  it('reports a long text batch by batch, each report extending the one before', async () => {
    const sentences = Array.from({ length: 20 }, (_, i) => `El gato número ${i} es rojo.`);
    const seen: string[] = [];
    const r = await app.service.run(
      {
        command: 'translate',
        options: { text: sentences.join(' '), from: 'es', to: 'en' },
        ctx: { platform: 'test', userId: 'u', lang: 'en' },
      },
      { onProgress: (p) => p.kind !== 'download' && seen.push(p.text) },
    );
    // 20 sentences in batches of 8: two partial reports (8, then 16 sentences), then the result.
    expect(seen).toHaveLength(2);
    expect(seen[1]!.startsWith(seen[0]!)).toBe(true);
    expect((r.data.text as string).startsWith(seen[1]!)).toBe(true);
  });

  it('an unsupported pair or unknown code is refused, listing what is supported, in the user’s language', async () => {
    const fr = await translate({ text: 'Bonjour, je suis un chat et je mange du poisson tous les jours.' }, 'es').catch(
      (e) => e,
    );
    expect(fr.code).toBe('unsupported_pair');
    expect(fr.localized('es')).toBe('Este servidor no traduce fr → es. Pares disponibles: es-en, en-es.');
    const xx = await translate({ text: 'The cat', to: 'xx' }).catch((e) => e);
    expect(xx.localized('en')).toBe(
      'Translating en → xx is not supported on this server. Supported pairs: es-en, en-es.',
    );
    const same = await translate({ text: 'hola', from: 'es', to: 'es' }, 'en').catch((e) => e);
    expect(same.code).toBe('same_language');
    expect(same.localized('en')).toBe('The text is already in Spanish: nothing to translate.');
  });

  it('empty and 100 000-character texts are refused with a clear error', async () => {
    await expect(translate({ text: '' })).rejects.toMatchObject({ code: 'invalid_option' });
    await expect(translate({ text: 'x'.repeat(100_000) })).rejects.toMatchObject({ code: 'invalid_option' });
  });

  it('with the default (hub) models not installed and downloads off, says no model is installed for the pair, and how to install it', async () => {
    const bare = testApp();
    try {
      const e = await bare.service
        .run({
          command: 'translate',
          options: { text: 'hola', from: 'es' },
          ctx: { platform: 'test', userId: 'u', lang: 'en' },
        })
        .catch((err) => err);
      expect(e.code).toBe('model_missing');
      expect(e.localized('en')).toBe(
        'No translation model for es → en is installed on this server, and automatic downloads are turned off. An admin can install it with: npm run models:pull -- opus-mt-es-en',
      );
    } finally {
      await bare.dispose();
    }
  });

  it('CLI: translate --text … --from es --to en --json prints {"text","from","to"}', () => {
    const r = spawnSync(
      'npm',
      ['run', '--silent', 'cli', '--', 'translate', '--text', 'Hola gato.', '--from', 'es', '--to', 'en', '--json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, SINAPSIS_DATA_DIR: tempDir(), SINAPSIS_TRANSLATION_MODELS: MODELS },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ from: 'es', to: 'en', model: 'marian-tiny-es-en' });
    expect(typeof doc.text).toBe('string');
  });
});
