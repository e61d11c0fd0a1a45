import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../commands/index.js';
import { KnowledgeIndex, loadKnowledge } from '../src/knowledge/index.js';
import { editDistance, sameWord, stem, terms } from '../src/knowledge/text.js';
import { tempDir, testApp } from './helpers/app.js';
import sharp from 'sharp';
import { describeWith, facesDir, ROOT, yunetFile } from './helpers/assets.js';

const questions: { q: string; id: string | null; lang: 'es' | 'en' }[] = JSON.parse(
  readFileSync(path.join(ROOT, 'tests/fixtures/explain-questions.json'), 'utf8'),
);

describe('knowledge base: short bilingual passages', () => {
  const passages = loadKnowledge();

  it('has at least 80 passages of one idea each (40–120 words), in both languages, each naming a real command', () => {
    expect(passages.length).toBeGreaterThanOrEqual(80);
    for (const p of passages) {
      for (const lang of ['es', 'en'] as const) {
        const words = p.body[lang].split(/\s+/).length;
        expect(words, `${p.id} ${lang}`).toBeGreaterThanOrEqual(40);
        expect(words, `${p.id} ${lang}`).toBeLessThanOrEqual(120);
        expect(p.simple[lang].length, `${p.id} ${lang} simple`).toBeGreaterThan(20);
        expect(p.example[lang].length, `${p.id} ${lang} example`).toBeGreaterThan(20);
        expect(p.terms[lang].length, `${p.id} ${lang} glossary`).toBeGreaterThan(0);
      }
      const spec = COMMANDS.find((c) => c.name === p.demo);
      expect(spec, p.id).toBeDefined();
      // A prefilled demo only uses options its command has.
      for (const k of Object.keys(p.tryOptions))
        expect(
          spec!.options.map((o) => o.name),
          `${p.id} try ${k}`,
        ).toContain(k);
    }
  });

  it('covers the lecture and the next basics', () => {
    const ids = new Set(passages.map((p) => p.id));
    for (const id of [
      'ai-ml-dl',
      'supervised',
      'unsupervised',
      'neuron',
      'weights',
      'bias',
      'activation',
      'nonlinearity',
      'layers',
      'fully-connected',
      'house-prices',
      'training',
      'why-2012',
      'rnn',
      'rnn-translation',
      'speech',
      'cnn',
      'convolution',
      'feature-hierarchy',
      'cnn-uses',
      'medical-imaging',
      'self-driving',
      'gan',
      'generator',
      'discriminator',
      'colorization',
      'generated-faces',
      'deepfakes',
      'deepfake-risks',
      'transformer',
      'attention',
      'long-range',
      'parallel-training',
      'gpt',
      'text-to-image',
      'narrow-vs-general',
      'loss',
      'gradient-descent',
      'backpropagation',
      'learning-rate',
      'epochs',
      'batches',
      'overfitting',
      'validation',
      'datasets-labels',
      'data-bias',
      'relu',
      'sigmoid',
      'softmax',
      'pooling',
      'stride-padding',
      'embeddings',
      'tokens',
      'tokenization',
      'temperature',
      'top-k-top-p',
      'encoder-decoder',
      'bot-translate',
      'bot-generate-text',
      'bot-colorize',
      'bot-detect-faces',
      'bot-explain',
    ]) {
      expect(ids, id).toContain(id);
    }
  });

  it('glossary: each term names one passage, in either language and any form', () => {
    const index = new KnowledgeIndex();
    const owner = new Map<string, string>();
    for (const g of index.glossary()) {
      const key = terms(g.term).join(' ');
      expect(key, g.term).not.toBe('');
      if (owner.has(key)) expect(owner.get(key), `"${g.term}"`).toBe(g.id);
      owner.set(key, g.id);
    }
    for (const q of [
      'softmax',
      'Softmax',
      'la función softmax',
      'la funcion softmax',
      'What is the softmax function?',
      '¿qué es softmax?',
    ]) {
      expect(index.query(q)[0]?.section.id, q).toBe('softmax');
    }
    for (const q of ['tasa de aprendizaje', 'learning rate', 'el learnig rate', 'la tasa de aprendisaje'])
      expect(index.query(q)[0]?.section.id, q).toBe('learning-rate');
  });

  it('on its own question set (half Spanish with voseo and typos): top-1 ≥ 90% per language, and out-of-scope questions are declined', async () => {
    const index = new KnowledgeIndex();
    const byLang = { es: { ok: 0, n: 0 }, en: { ok: 0, n: 0 } };
    let declinedOut = 0;
    let declinedIn = 0;
    const out = questions.filter((x) => x.id === null);
    for (const { q, id, lang } of questions) {
      const { hits, analysis } = index.lookup(q, 3);
      const declined = !analysis.inScope;
      if (id === null) {
        if (declined) declinedOut++;
        continue;
      }
      if (declined) declinedIn++;
      byLang[lang].n++;
      if (!declined && hits[0]?.section.id === id) byLang[lang].ok++;
    }
    expect(questions.length).toBeGreaterThanOrEqual(120);
    expect(out.length).toBeGreaterThanOrEqual(20);
    expect(byLang.es.n).toBeGreaterThanOrEqual(55);
    expect(byLang.en.n).toBeGreaterThanOrEqual(55);
    expect(byLang.es.ok / byLang.es.n).toBeGreaterThanOrEqual(0.9);
    expect(byLang.en.ok / byLang.en.n).toBeGreaterThanOrEqual(0.9);
    // Decline recall (off-topic declined) and precision (declined were off-topic).
    expect(declinedOut / out.length).toBeGreaterThanOrEqual(0.95);
    expect(declinedOut / (declinedOut + declinedIn)).toBeGreaterThanOrEqual(0.95);
  });
});

describe('text analysis shared by the index, the glossary and the scope check', () => {
  it('folds accents and case, drops question words and fillers in both languages, stems plurals alike', () => {
    expect(terms('¿Qué es la Función Softmax?')).toEqual(['funcion', 'softmax']);
    expect(terms('che, explicame q onda las redes neuronales')).toEqual(['red', 'neuronal']);
    expect(terms('What are the images?')).toEqual(terms('image'));
    expect(terms('imágenes')).toEqual(terms('imagen'));
    expect([stem('training'), stem('trained'), stem('GPUs'.toLowerCase())]).toEqual(['train', 'train', 'gpu']);
    // Command names are one term, in either language.
    expect(terms('¿cómo funciona /generar-texto?')).toEqual(terms('how does generate-text work'));
  });

  it('edit distance (with transpositions) and word forms', () => {
    expect(editDistance('artifical', 'artificial', 2)).toBe(1);
    expect(editDistance('learnig', 'learning', 1)).toBe(1);
    expect(editDistance('nueronal', 'neuronal', 1)).toBe(1);
    expect(editDistance('dolar', 'softmax', 2)).toBe(3);
    expect(sameWord('aprende', 'aprender')).toBe(true);
    expect(sameWord('convolucionales', 'convolucional')).toBe(true);
    expect(sameWord('quantum', 'quantize')).toBe(false);
  });

  it('a field-wide term is context: the specific subject wins ("a neuron in deep learning")', () => {
    const index = new KnowledgeIndex();
    expect(index.query("what's a neuron in deep learning")[0]!.section.id).toBe('neuron');
    expect(index.query('qué es un filtro en una red convolucional')[0]!.section.id).toBe('convolution');
    expect(index.query('What is deep learning?')[0]!.section.id).toBe('deep-learning');
  });

  it('a word shared with the notes by chance does not put a question in scope', () => {
    const index = new KnowledgeIndex();
    for (const q of [
      '¿Cómo funciona un motor de auto?',
      'What is quantum computing?',
      'How do I train for a marathon?',
      '¿Me recomendás un curso de Python?',
      'How do I lose weight?',
    ]) {
      expect(index.analyze(q).inScope, q).toBe(false);
    }
  });

  it('two further question sets written after the tuning set: right passage or declined, for at least 36 of 40', () => {
    const index = new KnowledgeIndex();
    for (const file of ['explain-questions-heldout.json', 'explain-questions-blind.json']) {
      const set: { q: string; id: string | null }[] = JSON.parse(
        readFileSync(path.join(ROOT, 'tests/fixtures', file), 'utf8'),
      );
      const ok = set.filter(({ q, id }) => {
        const { hits, analysis } = index.lookup(q, 1);
        return id === null ? !analysis.inScope : analysis.inScope && hits[0]?.section.id === id;
      }).length;
      expect(ok, file).toBeGreaterThanOrEqual(36);
    }
  });
});

describe('/explain', () => {
  let app: ReturnType<typeof testApp>;
  beforeAll(() => {
    app = testApp();
  });
  afterAll(() => app.dispose());
  const ask = (topic: string, lang: 'es' | 'en', langSource: 'platform' | 'default' = 'platform') =>
    app.service.run({
      command: 'explain',
      options: { topic },
      ctx: { platform: 'test', userId: 'u', lang, langSource },
    });

  it('answers in the platform language even when the question is in the other one, citing its source', async () => {
    const r = await ask('What is a convolutional network?', 'es');
    expect(r.data.language).toBe('es');
    expect(r.text).toMatch(/^\*\*Redes convolucionales/);
    expect(r.text).toMatch(/Probalo vos con \/detectar-caras\./);
    expect(r.text.match(/probalo/gi)).toHaveLength(1);
    expect(r.text).not.toMatch(/src\/knowledge/);
    expect(r.text).toMatch(/Fuente: apuntes del curso, «Redes convolucionales \(CNN\)»$/);
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

  it('declines off-topic questions in the asker’s language, listing the topics it can explain', async () => {
    for (const q of ['¿Quién escribió el Quijote?', '¿Cómo está el dólar hoy?']) {
      const r = await ask(q, 'es');
      expect(r.text, q).toMatch(
        /^No tengo apuntes sobre eso\. Puedo explicarte: .*Redes convolucionales \(CNN\).*Transformers y atención/,
      );
      expect(r.data).toMatchObject({ sources: [], scope: { decision: 'declined' } });
      expect(r.followUps ?? []).toEqual([]);
    }
  });

  it('answers with one short passage, and offers "más simple", "un ejemplo" and "¿y en el bot?" as follow-ups', async () => {
    const r = await ask('¿Qué es una época de entrenamiento?', 'es');
    expect(r.text).toMatch(/^\*\*Épocas de entrenamiento\*\*\nUna \*\*época\*\* es una vuelta completa/);
    expect(r.text.split(/\s+/).length).toBeLessThan(150);
    expect(r.data).toMatchObject({ passages: ['epochs'], scope: { decision: 'answer' } });
    expect(r.followUps).toEqual([
      { label: 'Más simple', options: { topic: 'Épocas de entrenamiento', detail: 'simple' } },
      { label: 'Un ejemplo', options: { topic: 'Épocas de entrenamiento', detail: 'example' } },
      { label: '¿Y en el bot?', options: { topic: 'Épocas de entrenamiento', detail: 'demo' } },
    ]);
    const simple = await app.service.run({
      command: 'explain',
      options: r.followUps![0]!.options,
      ctx: { platform: 'test', userId: 'u', lang: 'es' },
    });
    expect(simple.text).toMatch(
      /^\*\*Épocas de entrenamiento\*\* · Más simple\nUna época es haber pasado una vez por todos los ejemplos/,
    );
    const example = await app.service.run({
      command: 'explain',
      options: r.followUps![1]!.options,
      ctx: { platform: 'test', userId: 'u', lang: 'es' },
    });
    expect(example.text).toMatch(/Con 10 000 fotos y lotes de 100/);
  });

  it('"¿y en el bot?" gives the demonstrating command, prefilled, with the option names of the asker’s language', async () => {
    const es = await app.service.run({
      command: 'explain',
      options: { topic: 'temperatura', detail: 'demo' },
      ctx: { platform: 'test', userId: 'u', lang: 'es' },
    });
    expect(es.text).toContain('Probalo: `/generar-texto texto: Once upon a time temperatura: 1.5`');
    const en = await app.service.run({
      command: 'explain',
      options: { topic: 'temperature', detail: 'demo' },
      ctx: { platform: 'test', userId: 'u', lang: 'en' },
    });
    expect(en.text).toContain('Try it: `/generate-text prompt: Once upon a time temperature: 1.5`');
    const faces = await app.service.run({
      command: 'explain',
      options: { topic: 'non-maximum suppression', detail: 'demo' },
      ctx: { platform: 'test', userId: 'u', lang: 'en' },
    });
    expect(faces.text).toContain('`/detect-faces image: (your photo)`');
  });

  it('a question about two things answers with both passages, citing each by title', async () => {
    const r = await ask('diferencia entre una RNN y un transformer', 'es');
    expect(r.data.passages).toEqual(['rnn', 'transformer']);
    expect(r.text).toMatch(/Fuente: apuntes del curso, «Redes recurrentes \(RNN\)» y «Transformers»$/);
  });

  it('a weak match is answered with "¿Quisiste preguntar por …?" and the two closest titles as buttons', async () => {
    const r = await ask('¿Cómo traduce una red de un idioma a otro?', 'es');
    expect(r.data.scope).toMatchObject({ decision: 'weak' });
    const suggestions = r.data.suggestions as { id: string; title: string }[];
    expect(suggestions).toHaveLength(2);
    expect(r.text).toContain(`¿Quisiste preguntar por «${suggestions[0]!.title}» o por «${suggestions[1]!.title}»?`);
    expect(r.followUps!.slice(3).map((f) => f.options)).toEqual(suggestions.map((x) => ({ topic: x.title })));
    // The button asks by title: that passage, for sure.
    const picked = await ask(suggestions[0]!.title, 'es');
    expect(picked.data).toMatchObject({
      passages: [suggestions[0]!.id],
      scope: { decision: 'answer' },
      retrieval: 'title',
    });
  });

  it('typos, missing accents and voseo still find the passage', async () => {
    for (const [q, id] of [
      ['che explicame q onda el learnig rate', 'learning-rate'],
      ['que es una neurona artifical', 'neuron'],
      ['contame que es la funcion sigmoide', 'sigmoid'],
      ['sobreajuste', 'overfitting'],
    ] as const) {
      const r = await ask(q, 'es');
      expect(r.data.passages, q).toEqual([id]);
    }
  });

  it('refuses empty and 100 000-character topics with a clear error', async () => {
    await expect(ask('', 'es')).rejects.toMatchObject({ code: 'invalid_option' });
    const e = await ask('x'.repeat(100_000), 'es').catch((err) => err);
    expect(e.code).toBe('invalid_option');
    expect(e.localized('es')).toMatch(/"topic"/);
  });

  it('CLI: explain --topic … --json prints {"answer","language","sources"}', () => {
    const r = spawnSync(
      'npm',
      ['run', '--silent', 'cli', '--', 'explain', '--topic', '¿Qué es un transformer?', '--json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, SINAPSIS_DATA_DIR: tempDir() },
      },
    );
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.language).toBe('es');
    expect(doc.answer).toMatch(/atención/);
    expect(doc.sources[0]).toMatchObject({ id: 'transformer', file: 'src/knowledge/passages/09-transformers.md' });
  });
});

describeWith(
  '/explain shows what a convolutional network sees',
  [yunetFile, path.join(facesDir, '2008_001009.jpg')],
  () => {
    let app: ReturnType<typeof testApp>;
    beforeAll(() => {
      app = testApp();
    });
    afterAll(() => app.dispose());

    it('on a question about convolutions: classic 3×3 filters and YuNet’s 16 first-layer maps, on a built-in sample', async () => {
      const r = await app.service.run({
        command: 'explain',
        options: { topic: '¿Qué es una convolución?' },
        ctx: { platform: 'test', userId: 'u', lang: 'es' },
      });
      expect(r.images.map((i) => i.name)).toEqual(['filters-3x3.png', 'yunet-first-layer.png']);
      const filters = await sharp(r.images[0]!.data).metadata();
      expect([filters.format, filters.width]).toEqual(['png', 3 * 264 + 8]);
      const maps = await sharp(r.images[1]!.data).metadata();
      expect([maps.width, maps.height]).toEqual([4 * 134 + 6, 62 + 4 * 134 + 6]);
      expect(r.images[1]!.alt).toBe('Mapas de rasgos de la primera capa de YuNet');
    });

    it('on the user’s photo, for any topic, and refuses a photo that is not an image', async () => {
      const photo = readFileSync(path.join(facesDir, '2008_001009.jpg'));
      const r = await app.service.run({
        command: 'explain',
        options: { topic: 'what is a neuron' },
        images: { image: photo },
        ctx: { platform: 'test', userId: 'u', lang: 'en' },
      });
      expect(r.images).toHaveLength(2);
      await expect(
        app.service.run({
          command: 'explain',
          options: { topic: 'convolution' },
          images: { image: Buffer.from('nope') },
          ctx: { platform: 'test', userId: 'u', lang: 'en' },
        }),
      ).rejects.toMatchObject({ code: 'not_an_image' });
    });

    it('keeps a wide photo’s aspect ratio and stretches each feature map to its own range', async () => {
      const coffee = readFileSync(path.join(ROOT, 'samples/coffee.jpg')); // 600×400
      const r = await app.service.run({
        command: 'explain',
        options: { topic: 'convolution' },
        images: { image: coffee },
        ctx: { platform: 'test', userId: 'u', lang: 'en' },
      });
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
        for (let y = top + 2; y < top + 83; y++)
          for (let x = left + 2; x < left + 126; x++) {
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
        const r = await bare.service.run({
          command: 'explain',
          options: { topic: 'convolution' },
          ctx: { platform: 'test', userId: 'u', lang: 'en' },
        });
        expect(r.images.map((i) => i.name)).toEqual(['filters-3x3.png']);
      } finally {
        await bare.dispose();
      }
    });
  },
);
