import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKnowledge } from '../src/knowledge/index.js';
import { fuseRankings, SemanticIndex } from '../src/knowledge/semantic.js';
import { convertLlama2c } from '../src/models/llama2c/convert.js';
import type { ModelRegistry } from '../src/models/registry.js';
import { groundedness, rephrase } from '../src/tasks/grounded-rephrase.js';
import { tempDir, testApp } from './helpers/app.js';
import { describeWith, MODELS_DIR, ROOT } from './helpers/assets.js';

const BERT = path.join(ROOT, 'tests/fixtures/models/bert-tiny-embed');
const ctx = (lang: 'es' | 'en') => ({ platform: 'test', userId: 'u', lang });

describe('/explain with a sentence-embedding model (tiny BERT-style fixture through the real feature-extraction pipeline)', () => {
  let app: ReturnType<typeof testApp>;
  beforeAll(() => {
    app = testApp({ SINAPSIS_EMBEDDING_MODEL: BERT, SINAPSIS_MODELS_DIR: tempDir() });
  });
  afterAll(() => app.dispose());

  it('fuses lexical and dense rankings and says so, citing the section', async () => {
    const r = await app.service.run({
      command: 'explain',
      options: { topic: 'What is a convolution?' },
      ctx: ctx('en'),
    });
    expect(r.data).toMatchObject({ retrieval: 'hybrid', embedding_model: 'bert-tiny-embed', language: 'en' });
    expect((r.data.sources as { id: string }[])[0]!.id).toBe('convolution');
    expect(r.text).toMatch(/Source: course notes, "Convolution: a 3×3 filter"$/);
  });

  it('embeds every section in both languages: a passage used as the query finds its own section, cosine ≈ 1', async () => {
    const emb = (await app.models.embedder())!;
    const embed = async (texts: string[]) =>
      (await emb.embedder(texts, { pooling: 'mean', normalize: true })).tolist() as number[][];
    const sections = loadKnowledge();
    const semantic = await SemanticIndex.build(sections, embed, emb.prefixes.passage);
    for (const s of sections) {
      for (const lang of ['es', 'en'] as const) {
        const [q] = await embed([`${emb.prefixes.passage}${s.title[lang]}. ${s.body[lang]}`]);
        const [top] = semantic.rank(q!);
        expect(top!.section.id).toBe(s.id);
        expect(top!.score).toBeCloseTo(1, 4);
      }
    }
  });

  it('fuses by rank: agreement wins, and a section only the dense side found still counts', () => {
    const [a, b, c] = loadKnowledge();
    const hit = (section: typeof a) => ({ section: section!, score: 0 });
    const fused = fuseRankings(
      [
        [hit(a), hit(b)],
        [hit(c), hit(a)],
      ],
      3,
    );
    expect(fused.map((h) => h.section.id)).toEqual([a!.id, c!.id, b!.id]);
  });

  it('an embedding model that fails to load leaves lexical search answering, and says why', async () => {
    const broken = path.join(tempDir(), 'broken-embed');
    mkdirSync(path.join(broken, 'onnx'), { recursive: true });
    writeFileSync(path.join(broken, 'config.json'), readFileSync(path.join(BERT, 'config.json')));
    writeFileSync(path.join(broken, 'tokenizer.json'), readFileSync(path.join(BERT, 'tokenizer.json')));
    writeFileSync(path.join(broken, 'tokenizer_config.json'), readFileSync(path.join(BERT, 'tokenizer_config.json')));
    writeFileSync(path.join(broken, 'onnx/model.onnx'), 'not a model');
    const bad = testApp({ SINAPSIS_EMBEDDING_MODEL: broken, SINAPSIS_MODELS_DIR: tempDir() });
    try {
      const r = await bad.service.run({ command: 'explain', options: { topic: '¿Qué es una GAN?' }, ctx: ctx('es') });
      expect(r.data).toMatchObject({ retrieval: 'bm25', fallback: 'model_corrupt' });
      expect((r.data.sources as { id: string }[])[0]!.id).toBe('gan');
    } finally {
      await bad.dispose();
    }
  });
});

describe('grounded rephrasing', () => {
  const passage =
    'Una red convolucional mira una imagen con filtros pequeños de 3×3 píxeles que se deslizan por toda la foto.';

  it('scores how much of the output the passage contains', () => {
    expect(
      groundedness('La red convolucional desliza filtros pequeños por la imagen.', [passage]),
    ).toBeGreaterThanOrEqual(0.85);
    expect(groundedness('Los dragones vuelan sobre castillos encantados.', [passage])).toBeLessThan(0.3);
    expect(groundedness('', [passage])).toBe(0);
  });

  /** A registry whose text model always answers `reply`: the acceptance rules, without a real model. */
  const replying = (reply: string) =>
    ({
      textGenerator: async () => ({
        id: 'fake-instruct',
        generator: Object.assign(async () => [{ generated_text: reply }], { tokenizer: {} }),
      }),
    }) as unknown as ModelRegistry;
  const signal = new AbortController().signal;

  it('keeps a grounded answer in the right language, rejects invented or wrong-language ones', async () => {
    expect(
      await rephrase(
        replying('Una red convolucional mira la imagen con filtros pequeños de 3×3 que se deslizan por la foto.'),
        passage,
        '¿Qué es una CNN?',
        'es',
        signal,
      ),
    ).toMatchObject({ model: 'fake-instruct' });
    expect(
      await rephrase(
        replying('Había una vez un dragón que vivía en un castillo encantado muy lejano.'),
        passage,
        '¿Qué es una CNN?',
        'es',
        signal,
      ),
    ).toMatchObject({ rejected: 'not_grounded' });
    expect(await rephrase(replying('Sí.'), passage, '¿Qué es una CNN?', 'es', signal)).toMatchObject({
      rejected: 'too_short',
    });
  });
});

const llama2c = path.join(MODELS_DIR, 'stories260K-llama2c');
describeWith(
  '/explain rephrasing with a real text model that knows nothing of the course',
  [path.join(llama2c, 'stories260K.bin')],
  () => {
    let app: ReturnType<typeof testApp>;
    beforeAll(() => {
      const out = path.join(tempDir(), 'stories260K');
      convertLlama2c({
        checkpoint: path.join(llama2c, 'stories260K.bin'),
        tokenizer: path.join(llama2c, 'tok512.model'),
        outDir: out,
      });
      app = testApp({ SINAPSIS_TEXT_MODEL: out, SINAPSIS_EXPLAIN_REPHRASE: '1' });
    });
    afterAll(() => app.dispose());

    it('rejects the story it writes and answers with the passage itself', async () => {
      const r = await app.service.run({ command: 'explain', options: { topic: 'What is a neuron?' }, ctx: ctx('en') });
      expect(r.data.rephrased).toMatchObject({
        rejected: expect.stringMatching(/not_grounded|too_short|wrong_language/),
        model: 'stories260K',
      });
      expect(r.text).not.toMatch(/Rephrased by/);
      expect(r.text).toMatch(/^\*\*The artificial neuron/);
    });
  },
);
