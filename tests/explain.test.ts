import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../commands/index.js';
import { detectLang } from '../src/i18n/detect.js';
import { KnowledgeIndex, loadKnowledge } from '../src/knowledge/index.js';
import { tempDir, testApp } from './helpers/app.js';
import sharp from 'sharp';
import { describeWith, facesDir, ROOT, yunetFile } from './helpers/assets.js';

const questions: { q: string; id: string }[] = JSON.parse(readFileSync(path.join(ROOT, 'tests/fixtures/explain-questions.json'), 'utf8'));

describe('knowledge base', () => {
  it('covers the course topics in both languages, each naming a real command', () => {
    const sections = loadKnowledge();
    expect(sections.map((s) => s.id).sort()).toEqual(
      ['ai-ml-dl', 'cnn', 'gan', 'layers', 'limits', 'neuron', 'rnn', 'supervised-unsupervised', 'training', 'transformers'],
    );
    for (const s of sections) {
      expect(s.body.es.length).toBeGreaterThan(300);
      expect(s.body.en.length).toBeGreaterThan(300);
      expect(COMMANDS.map((c) => c.name)).toContain(s.demo);
    }
  });

  it('retrieves the right section for at least 90% of 50 questions, in each language', async () => {
    const index = new KnowledgeIndex();
    const byLang = { es: { ok: 0, n: 0 }, en: { ok: 0, n: 0 } };
    for (const { q, id } of questions) {
      const lang = (await detectLang(q)) ?? 'es';
      byLang[lang].n++;
      if (index.query(q)[0]?.section.id === id) byLang[lang].ok++;
    }
    expect(byLang.es.n).toBeGreaterThanOrEqual(20);
    expect(byLang.en.n).toBeGreaterThanOrEqual(20);
    expect(byLang.es.ok / byLang.es.n).toBeGreaterThanOrEqual(0.9);
    expect(byLang.en.ok / byLang.en.n).toBeGreaterThanOrEqual(0.9);
  });
});

describe('/explain', () => {
  let app: ReturnType<typeof testApp>;
  beforeAll(() => {
    app = testApp();
  });
  afterAll(() => app.dispose());
  const ask = (topic: string, lang: 'es' | 'en', langSource: 'platform' | 'default' = 'platform') =>
    app.service.run({ command: 'explain', options: { topic }, ctx: { platform: 'test', userId: 'u', lang, langSource } });

  it('answers in the platform language even when the question is in the other one, citing its source', async () => {
    const r = await ask('What is a convolution?', 'es');
    expect(r.data.language).toBe('es');
    expect(r.text).toMatch(/^\*\*Redes convolucionales/);
    expect(r.text).toMatch(/Probalo vos con \/detectar-caras\./);
    expect(r.text.match(/probalo/gi)).toHaveLength(1);
    expect(r.text).not.toMatch(/src\/knowledge/);
    expect(r.text).toMatch(/Fuente: apuntes del curso, sección «Redes convolucionales \(CNN\)»\./);
    expect((r.data.sources as { id: string }[])[0]!.id).toBe('cnn');
  });

  it('without a platform language, answers in the language of the question', async () => {
    expect((await ask('¿Qué es una GAN?', 'en', 'default')).data.language).toBe('es');
    expect((await ask('What are the limits of AI?', 'es', 'default')).data.language).toBe('en');
  });

  it('says plainly when it has no notes, listing what it can explain', async () => {
    const r = await ask('zzqx plugh', 'en');
    expect(r.text).toMatch(/^I have no notes about that yet\. I can explain: .*Convolutional networks/);
    expect(r.data.sources).toEqual([]);
  });

  it('refuses empty and 100 000-character topics with a clear error', async () => {
    await expect(ask('', 'es')).rejects.toMatchObject({ code: 'invalid_option' });
    const e = await ask('x'.repeat(100_000), 'es').catch((err) => err);
    expect(e.code).toBe('invalid_option');
    expect(e.localized('es')).toMatch(/"topic"/);
  });

  it('CLI: explain --topic … --json prints {"answer","language","sources"}', () => {
    const r = spawnSync('npm', ['run', '--silent', 'cli', '--', 'explain', '--topic', '¿Qué es un transformer?', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SINAPSIS_DATA_DIR: tempDir() },
    });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.language).toBe('es');
    expect(doc.answer).toMatch(/atención/);
    expect(doc.sources[0]).toMatchObject({ id: 'transformers', file: 'src/knowledge/transformers.md' });
  });
});

describeWith('/explain shows what a convolutional network sees', [yunetFile, path.join(facesDir, '2008_001009.jpg')], () => {
  let app: ReturnType<typeof testApp>;
  beforeAll(() => {
    app = testApp();
  });
  afterAll(() => app.dispose());

  it('on a question about convolutions: classic 3×3 filters and YuNet’s 16 first-layer maps, on a built-in sample', async () => {
    const r = await app.service.run({ command: 'explain', options: { topic: '¿Qué es una convolución?' }, ctx: { platform: 'test', userId: 'u', lang: 'es' } });
    expect(r.images.map((i) => i.name)).toEqual(['filters-3x3.png', 'yunet-first-layer.png']);
    const filters = await sharp(r.images[0]!.data).metadata();
    expect([filters.format, filters.width]).toEqual(['png', 3 * 264 + 8]);
    const maps = await sharp(r.images[1]!.data).metadata();
    expect([maps.width, maps.height]).toEqual([4 * 134 + 6, 62 + 4 * 134 + 6]);
    expect(r.images[1]!.alt).toBe('Mapas de rasgos de la primera capa de YuNet');
  });

  it('on the user’s photo, for any topic, and refuses a photo that is not an image', async () => {
    const photo = readFileSync(path.join(facesDir, '2008_001009.jpg'));
    const r = await app.service.run({ command: 'explain', options: { topic: 'what is a neuron' }, images: { image: photo }, ctx: { platform: 'test', userId: 'u', lang: 'en' } });
    expect(r.images).toHaveLength(2);
    await expect(
      app.service.run({ command: 'explain', options: { topic: 'convolution' }, images: { image: Buffer.from('nope') }, ctx: { platform: 'test', userId: 'u', lang: 'en' } }),
    ).rejects.toMatchObject({ code: 'not_an_image' });
  });

  it('keeps a wide photo’s aspect ratio and stretches each feature map to its own range', async () => {
    const coffee = readFileSync(path.join(ROOT, 'samples/coffee.jpg')); // 600×400
    const r = await app.service.run({ command: 'explain', options: { topic: 'convolution' }, images: { image: coffee }, ctx: { platform: 'test', userId: 'u', lang: 'en' } });
    const filters = await sharp(r.images[0]!.data).metadata();
    // Tiles of 256×171 (3:2), not 256×256: three columns, two rows of tile + caption.
    expect(filters.height).toBe(2 * (171 + 44 + 8) + 8);
    const { data, info } = await sharp(r.images[1]!.data).greyscale().raw().toBuffer({ resolveWithObject: true });
    // Tiles of 128×85: every map spans (almost) black to white, none is nearly all black.
    const titleH = 62;
    for (let c = 0; c < 16; c++) {
      const left = 6 + (c % 4) * 134;
      const top = titleH + 6 + Math.floor(c / 4) * 91;
      let lo = 255;
      let hi = 0;
      for (let y = top + 2; y < top + 83; y++) for (let x = left + 2; x < left + 126; x++) {
        lo = Math.min(lo, data[y * info.width + x]!);
        hi = Math.max(hi, data[y * info.width + x]!);
      }
      expect(hi - lo, `map ${c}`).toBeGreaterThan(150);
    }
    expect(info.height).toBe(titleH + 4 * 91 + 6);
  });

  it('without the face model, still shows the classic filters', async () => {
    const bare = testApp({ SINAPSIS_MODELS_DIR: tempDir() });
    try {
      const r = await bare.service.run({ command: 'explain', options: { topic: 'convolution' }, ctx: { platform: 'test', userId: 'u', lang: 'en' } });
      expect(r.images.map((i) => i.name)).toEqual(['filters-3x3.png']);
    } finally {
      await bare.dispose();
    }
  });
});
