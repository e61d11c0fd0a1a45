import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { env as hfEnv, pipeline, type FeatureExtractionPipeline, type TextGenerationPipeline, type TranslationPipeline } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { SinapsisError } from '../errors.js';
import { cached } from './cached.js';
import { locateFile, sha256File, type ModelDirs } from './files.js';
import { findModel, type Manifest, type ModelEntry } from './manifest.js';
import { pullModel } from './pull.js';

export interface RegistryOptions {
  dirs: ModelDirs;
  autoDownload: boolean;
  mirror?: string;
  /** onnxruntime intra-op threads per session; 0 lets onnxruntime choose. */
  ortThreads: number;
  /** Default text-generation model: a manifest id or a local folder. */
  textModel?: string;
  /** Translation models by pair ("es-en"): manifest ids or local folders; manifest pairs fill the rest. */
  translationModels?: Record<string, string>;
  /** Sentence-embedding model for /explain: a manifest id or a local folder. */
  embeddingModel?: string;
  /** Colorization network for /colorize: a manifest id or a local .onnx file. */
  colorizeModel?: string;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

type HfTask = 'text-generation' | 'translation' | 'feature-extraction';
type HfPipeline = TextGenerationPipeline | TranslationPipeline | FeatureExtractionPipeline;

/** A model edited before it is loaded; `name` tells its cache entry apart from the plain model's. */
export interface OnnxVariant {
  name: string;
  edit: (model: Uint8Array) => Uint8Array;
}

// Files up to this size are hashed on first load: a damaged file then fails
// with a clear message instead of an obscure runtime error.
const VERIFY_ON_LOAD_MAX_BYTES = 64 * 1024 * 1024;

/** Lazily resolves, verifies, loads and caches models; failed loads are retried on the next request. */
export class ModelRegistry {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private readonly loadTimes = new Map<string, number>();
  private readonly generators = new Map<string, Promise<HfPipeline>>();

  constructor(readonly manifest: Manifest, private readonly opts: RegistryOptions) {}

  entry(id: string): ModelEntry {
    return findModel(this.manifest, id);
  }

  /** Local paths of every file of a model, downloading them first when allowed. */
  async files(id: string): Promise<string[]> {
    const model = this.entry(id);
    const present = model.files.map((f) => locateFile(this.opts.dirs, f));
    if (present.every(Boolean)) return present as string[];
    if (!this.opts.autoDownload) throw new SinapsisError('model_missing', { model: id });
    this.opts.log?.('downloading model', { model: id });
    try {
      return (await pullModel(this.opts.dirs, model, { mirror: this.opts.mirror })).map((r) => r.path);
    } catch (err) {
      throw new SinapsisError('model_missing', { model: id }, { cause: err });
    }
  }

  /**
   * An onnxruntime session for a manifest model, loaded once. A `variant`
   * edits the verified model bytes first (e.g. to expose an inner tensor) and
   * is cached beside the plain session under its own name.
   */
  onnxSession(id: string, variant?: OnnxVariant): Promise<ort.InferenceSession> {
    return cached(this.sessions, variant ? `${id}#${variant.name}` : id, () => this.loadOnnx(id, variant));
  }

  /** Load time in ms of a model loaded by this registry, if it was. */
  loadTimeMs(id: string): number | undefined {
    return this.loadTimes.get(id);
  }

  async warm(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.onnxSession(id)));
  }

  /**
   * A transformers.js text-generation pipeline for a manifest id or, when
   * `allowFolder` (the CLI), a local model folder. Loaded once, then cached.
   */
  async textGenerator(ref: string | undefined, opts: { allowFolder?: boolean } = {}): Promise<{ generator: TextGenerationPipeline; id: string }> {
    const chosen = ref ?? this.opts.textModel ?? this.manifest.models.find((m) => m.task === 'generate-text')?.id;
    if (!chosen) throw new SinapsisError('model_missing', { model: 'generate-text (set SINAPSIS_TEXT_MODEL)' });
    const trusted = opts.allowFolder || chosen === this.opts.textModel;
    const { pipe, id } = await this.hfPipeline('text-generation', chosen, trusted);
    return { generator: pipe as TextGenerationPipeline, id };
  }

  /** Language pairs this server can translate: configured folders/ids, then manifest entries. */
  translationPairs(): Record<string, string> {
    const fromManifest = Object.fromEntries(this.manifest.models.filter((m) => m.task === 'translate' && m.pair).map((m) => [m.pair!.join('-'), m.id]));
    return { ...fromManifest, ...this.opts.translationModels };
  }

  async translator(from: string, to: string): Promise<{ translator: TranslationPipeline; id: string }> {
    const ref = this.translationPairs()[`${from}-${to}`];
    if (!ref) throw new SinapsisError('unsupported_pair', { from, to, supported: Object.keys(this.translationPairs()).join(', ') || '—' });
    const { pipe, id } = await this.hfPipeline('translation', ref, true);
    return { translator: pipe as TranslationPipeline, id };
  }

  /**
   * The colorization network: the configured file or id, else the manifest's
   * first `colorize` model. A local file is the administrator's own (like a
   * model folder), so it is loaded without a checksum.
   */
  async colorizer(): Promise<{ session: ort.InferenceSession; id: string }> {
    const ref = this.opts.colorizeModel ?? this.manifest.models.find((m) => m.task === 'colorize')?.id;
    if (!ref) throw new SinapsisError('model_missing', { model: 'colorize (set SINAPSIS_COLORIZE_MODEL)' });
    if (this.manifest.models.some((m) => m.id === ref)) return { session: await this.onnxSession(ref), id: ref };
    const file = path.resolve(ref);
    const id = path.basename(file, '.onnx');
    const session = await cached(this.sessions, `file:${file}`, async () => {
      if (!existsSync(file)) throw new SinapsisError('model_missing', { model: id });
      try {
        return await ort.InferenceSession.create(file, this.sessionOptions());
      } catch (err) {
        throw new SinapsisError('model_corrupt', { model: id }, { cause: err });
      }
    });
    return { session, id };
  }

  /**
   * The sentence-embedding pipeline (configured folder or id, else the
   * manifest's first `embed` model), or undefined when none is set up:
   * callers then fall back to lexical search.
   */
  async embedder(): Promise<{ embedder: FeatureExtractionPipeline; id: string; prefixes: { query: string; passage: string } } | undefined> {
    const ref = this.opts.embeddingModel ?? this.manifest.models.find((m) => m.task === 'embed')?.id;
    if (!ref) return undefined;
    const { pipe, id } = await this.hfPipeline('feature-extraction', ref, ref === this.opts.embeddingModel);
    const entry = this.manifest.models.find((m) => m.id === ref);
    // E5 models expect these prefixes; a manifest entry can name others.
    return { embedder: pipe as FeatureExtractionPipeline, id, prefixes: entry?.prefixes ?? { query: 'query: ', passage: 'passage: ' } };
  }

  private async hfPipeline(task: HfTask, ref: string, folderAllowed: boolean) {
    const isFolder = !this.manifest.models.some((m) => m.id === ref);
    if (isFolder && !folderAllowed) throw new SinapsisError('model_missing', { model: ref });
    const pipe = await cached(this.generators, `${task}:${ref}`, () => this.loadPipeline(task, ref, isFolder));
    return { pipe, id: isFolder ? path.basename(path.resolve(ref)) : ref };
  }

  private async loadPipeline(task: HfTask, ref: string, isFolder: boolean) {
    const started = performance.now();
    let folder: string;
    let dtype: string = 'fp32';
    if (isFolder) {
      folder = path.resolve(ref);
      if (!existsSync(path.join(folder, 'config.json'))) throw new SinapsisError('model_missing', { model: ref });
    } else {
      const entry = this.entry(ref);
      const files = await this.files(ref);
      // Files sit under <dir>/<folder>/...; the folder is the model root transformers.js reads.
      folder = path.join(files[0]!.slice(0, files[0]!.length - entry.files[0]!.path.length), entry.folder ?? path.dirname(entry.files[0]!.path));
      dtype = entry.dtype ?? 'fp32';
    }
    // Never reach for the hub: models come from the manifest download or a local folder.
    hfEnv.allowRemoteModels = false;
    hfEnv.localModelPath = '/';
    try {
      const pipe = await pipeline(task, folder, { dtype: dtype as 'fp32' });
      this.loadTimes.set(ref, performance.now() - started);
      this.opts.log?.('model loaded', { model: ref, ms: Math.round(performance.now() - started) });
      return pipe as HfPipeline;
    } catch (err) {
      throw new SinapsisError('model_corrupt', { model: isFolder ? path.basename(folder) : ref }, { cause: err });
    }
  }

  async close(): Promise<void> {
    const gens = [...this.generators.values()];
    this.generators.clear();
    for (const g of gens) await g.then((x) => x.dispose()).catch(() => undefined);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await s.then((x) => x.release()).catch(() => undefined);
  }

  private sessionOptions(): ort.InferenceSession.SessionOptions {
    return {
      ...(this.opts.ortThreads ? { intraOpNumThreads: this.opts.ortThreads } : {}),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // ORT's intra-op threads spin between kernels by default: on a shared 2-core machine that
      // burns the CPU other work needs. Off, YuNet's run took ~30% less CPU and ~35% less wall
      // time there (bench -- detect-faces, measured beside the OpenCV peer).
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
  }

  private async loadOnnx(id: string, variant?: OnnxVariant): Promise<ort.InferenceSession> {
    const started = performance.now();
    const [file] = await this.files(id);
    const expected = this.entry(id).files[0]!;
    if (statSync(file!).size <= VERIFY_ON_LOAD_MAX_BYTES && (await sha256File(file!)) !== expected.sha256) {
      throw new SinapsisError('model_corrupt', { model: id });
    }
    try {
      const options = this.sessionOptions();
      const session = variant
        ? await ort.InferenceSession.create(variant.edit(readFileSync(file!)), options)
        : await ort.InferenceSession.create(file!, options);
      if (variant) return session;
      this.loadTimes.set(id, performance.now() - started);
      this.opts.log?.('model loaded', { model: id, ms: Math.round(performance.now() - started) });
      return session;
    } catch (err) {
      throw new SinapsisError('model_corrupt', { model: id }, { cause: err });
    }
  }
}
