import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  env as hfEnv,
  pipeline,
  type FeatureExtractionPipeline,
  type TextGenerationPipeline,
  type TranslationPipeline,
} from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { SinapsisError } from '../errors.js';
import { cached } from './cached.js';
import { withFileLock } from './file-lock.js';
import {
  ChecksumError,
  DiskSpaceError,
  downloadFile,
  ensureDiskSpace,
  mb,
  SingleFlight,
  StalledError,
  type DownloadFile,
} from './download.js';
import { cachePath, kindOf, locateFile, sha256File, type ModelDirs } from './files.js';
import { dtypeOfFiles, HubClient, HubError, pickTransformersFiles, type HubOptions } from './hub.js';
import { COMMITTED_LOCK_PATH, Locks, type LockedBy, type LockedModel } from './lock.js';
import { findModel, parseHubRef, type HubFile, type Manifest, type ModelEntry } from './manifest.js';
import { currentDownloadListener, type DownloadProgress } from './progress.js';
import { reasonEs } from './reason-es.js';

export interface RegistryOptions {
  dirs: ModelDirs;
  autoDownload: boolean;
  /** Base URL replacing the origin of non-hub files' URLs: `${mirror}/${file.path}`. */
  mirror?: string;
  /** HF_ENDPOINT / HF_TOKEN. */
  hub?: HubOptions;
  /** The data dir's trust-on-first-use lock (default: next to the cache). */
  lockFile?: string;
  /** The committed lock; null for none (tests). */
  committedLock?: string | null;
  /** A download with no data for this long is abandoned (resumed next time). */
  stallMs?: number;
  /** A model that takes longer than this to load fails (and is not cached). */
  loadTimeoutMs?: number;
  /** onnxruntime intra-op threads per session; 0 lets onnxruntime choose. */
  ortThreads: number;
  /**
   * The administrator's model per manifest task (e.g. "generate-text" → SINAPSIS_TEXT_MODEL): a
   * manifest id, `org/name[@revision]`, a local folder or (onnxruntime tasks) a local .onnx file.
   * Unset tasks use the manifest's first entry of that task.
   */
  settings?: Readonly<Record<string, string | undefined>>;
  /** Translation models by pair ("es-en"): manifest ids, hub refs or local folders; manifest pairs fill the rest. */
  translationModels?: Record<string, string>;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
  warn?: (msg: string, extra?: Record<string, unknown>) => void;
}

type HfTask = 'text-generation' | 'translation' | 'feature-extraction';
type HfPipeline = TextGenerationPipeline | TranslationPipeline | FeatureExtractionPipeline;

/** A model edited before it is loaded; `name` tells its cache entry apart from the plain model's. */
export interface OnnxVariant {
  name: string;
  edit: (model: Uint8Array) => Uint8Array;
}

/** A model loaded for a task: an onnxruntime session or a transformers.js pipeline, by the manifest entry's runtime. */
export interface LoadedModel {
  id: string;
  /** The manifest entry, when the model is one (not an administrator's own folder or file). */
  entry?: ModelEntry;
  session?: ort.InferenceSession;
  pipeline?: HfPipeline;
}

/** What a command's model looks like right now, without touching the network. */
export interface ModelState {
  task: string;
  model: string;
  repo: string | null;
  commit: string | null;
  state: 'installed' | 'download' | 'unavailable';
  /** Bytes on disk (installed) or still to download (download); null when unknown. */
  bytes: number | null;
  licence: string | null;
  locked_by: LockedBy | null;
  /** Why it is unavailable: a message key and its values. */
  reason?: {
    code: 'auto_download_off' | 'not_found' | 'last_download_failed';
    params: Record<string, string | number>;
  };
  /** Manifest hints the hub contradicted. */
  warnings?: string[];
}

/** What a task needs: a manifest entry, an admin-named hub repo, or a local folder/file. */
interface Spec {
  key: string;
  task: string;
  entry?: ModelEntry;
  hub?: { repo: string; revision: string; files: HubFile[] | ((paths: string[]) => string[]) };
  local?: string;
  dtype?: string;
}

function folderDtype(folder: string): string | undefined {
  try {
    const dtype = JSON.parse(readFileSync(path.join(folder, 'config.json'), 'utf8'))['transformers.js_config']?.dtype;
    return typeof dtype === 'string' ? dtype : undefined;
  } catch {
    return undefined;
  }
}

// Files up to this size are hashed on first load: a damaged file then fails
// with a clear message instead of an obscure runtime error.
const VERIFY_ON_LOAD_MAX_BYTES = 64 * 1024 * 1024;
const HF_TASKS: Record<string, HfTask> = {
  translate: 'translation',
  'generate-text': 'text-generation',
  embed: 'feature-extraction',
};
/** How long a failed download marks its model unavailable in `status()` (a request still retries). */
const FAILURE_MEMORY_MS = 10 * 60 * 1000;
/** How long an optional model (/explain's embeddings) is not retried after a failed download. */
const OPTIONAL_RETRY_MS = 60 * 1000;

function withTimeout<T>(p: Promise<T>, ms: number | undefined, onTimeout: () => Error): Promise<T> {
  if (!ms) return p;
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)))]).finally(
    () => clearTimeout(timer),
  );
}

/** Lazily resolves, pins, downloads, verifies, loads and caches models; failed loads are retried on the next request. */
export class ModelRegistry {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private readonly loadTimes = new Map<string, number>();
  private readonly generators = new Map<string, Promise<HfPipeline>>();
  private readonly flights = new SingleFlight();
  private readonly failures = new Map<string, { at: number; message: string }>();
  /** Requests waiting on a model, by key: each sees its download's progress, whoever started it. */
  private readonly audience = new Map<string, Set<(p: DownloadProgress) => void>>();
  readonly hub: HubClient;
  readonly locks: Locks;

  constructor(
    readonly manifest: Manifest,
    private readonly opts: RegistryOptions,
  ) {
    this.hub = new HubClient({ timeoutMs: 30_000, ...opts.hub });
    this.locks = new Locks(
      opts.committedLock === null ? undefined : (opts.committedLock ?? COMMITTED_LOCK_PATH),
      opts.lockFile ?? path.join(opts.dirs.cache, 'models.lock.json'),
    );
  }

  entry(id: string): ModelEntry {
    return findModel(this.manifest, id);
  }

  private spec(ref: string, task: string, allowLocal = true): Spec {
    const entry = this.manifest.models.find((m) => m.id === ref);
    if (entry)
      return { key: entry.id, task: entry.task, entry, dtype: entry.dtype, ...(entry.hub ? { hub: entry.hub } : {}) };
    if (allowLocal && existsSync(path.resolve(ref))) return { key: ref, task, local: path.resolve(ref) };
    const hub = parseHubRef(ref);
    if (hub) {
      const dtype = undefined;
      return {
        key: `${hub.repo}@${hub.revision}`,
        task,
        hub: { ...hub, files: (paths) => pickTransformersFiles(paths, task, dtype) },
      };
    }
    throw new SinapsisError('model_missing', { model: ref });
  }

  private pullCommand(spec: Spec) {
    return `npm run models:pull -- ${spec.entry?.id ?? spec.key}`;
  }

  /** Where a hub model's files live in the cache: one folder per commit, never overwritten. */
  private hubRoot(repo: string, commit: string) {
    return path.join(this.opts.dirs.cache, 'hub', ...repo.split('/'), commit);
  }

  /** An offline copy of a manifest hub model in SINAPSIS_MODELS_DIR/<folder>, used as is. */
  private localCopy(spec: Spec): string | undefined {
    if (!this.opts.dirs.local || !spec.entry?.hub) return undefined;
    const root = path.join(this.opts.dirs.local, spec.entry.folder ?? spec.entry.id);
    return spec.entry.hub.files.every((f) => kindOf(path.join(root, f.path)) === 'file') ? root : undefined;
  }

  private missingFromLock(root: string, lock: LockedModel) {
    return lock.files.filter((f) => statSync(path.join(root, f.path), { throwIfNoEntry: false })?.size !== f.size);
  }

  /**
   * The model's files on disk: the local copy, the cache, or a download
   * (one per model however many requests ask; progress goes to every asker).
   */
  private async prepare(spec: Spec): Promise<{ root: string; files: string[] }> {
    const emit = (p: { bytes: number; total: number }) => {
      for (const l of this.audience.get(spec.key) ?? []) {
        try {
          l({ kind: 'download', model: spec.entry?.id ?? spec.key, task: spec.task, ...p });
        } catch {
          // One adapter's failing progress edit must not break the download.
        }
      }
    };
    if (spec.local) return { root: spec.local, files: [spec.local] };
    try {
      if (spec.hub) return await this.prepareHub(spec, spec.hub, emit);
      return await this.prepareUrl(spec, emit);
    } catch (err) {
      if (!(err instanceof SinapsisError) || err.code !== 'model_missing')
        this.failures.set(spec.key, { at: Date.now(), message: (err as Error).message });
      throw this.asUserError(spec, err);
    }
  }

  private asUserError(spec: Spec, err: unknown): SinapsisError {
    const model = spec.entry?.id ?? spec.key;
    if (err instanceof SinapsisError) return err;
    if (err instanceof ChecksumError)
      return new SinapsisError('model_corrupt', { model, reason: err.message }, { cause: err });
    if (err instanceof DiskSpaceError)
      return new SinapsisError('disk_full', { model, needed: mb(err.needed), free: mb(err.free) }, { cause: err });
    if (
      err instanceof HubError &&
      (err.kind === 'repo_not_found' || err.kind === 'revision_not_found' || err.kind === 'file_not_found')
    )
      return new SinapsisError(
        'model_not_found',
        { model, reason: err.message, reasonEs: reasonEs(err) ?? err.message },
        { cause: err },
      );
    if (err instanceof HubError || err instanceof StalledError)
      return new SinapsisError(
        'model_download_failed',
        { model, reason: err.message, reasonEs: reasonEs(err) ?? err.message, command: this.pullCommand(spec) },
        { cause: err },
      );
    return new SinapsisError(
      'model_download_failed',
      { model, reason: (err as Error).message, command: this.pullCommand(spec) },
      { cause: err },
    );
  }

  private async lockFor(
    spec: Spec,
    hub: NonNullable<Spec['hub']>,
  ): Promise<{ model: LockedModel; lockedBy: LockedBy }> {
    const known = this.locks.get(spec.key, hub.repo, hub.revision);
    if (known) return known;
    if (!this.opts.autoDownload) throw new SinapsisError('model_missing', this.missingParams(spec));
    // Worker threads and processes share the data dir's lock: one pins the model, the others read its pin
    // (two first uses racing a moving branch must not download two commits).
    const file = this.opts.lockFile ?? path.join(this.opts.dirs.cache, 'models.lock.json');
    mkdirSync(path.dirname(file), { recursive: true });
    return withFileLock(`${file}.lock`, { staleMs: 60_000 }, async () => {
      this.locks.reload();
      return this.locks.get(spec.key, hub.repo, hub.revision) ?? this.pin(spec, hub);
    });
  }

  private async pin(spec: Spec, hub: NonNullable<Spec['hub']>): Promise<{ model: LockedModel; lockedBy: LockedBy }> {
    const model = await this.hub.lock(hub.repo, hub.revision, hub.files, { licence: spec.entry?.licence });
    this.locks.remember(spec.key, model);
    this.opts.log?.(
      'model locked on first use (trust on first use: the hub listing at this commit is now what every download is checked against)',
      { model: spec.key, repo: hub.repo, revision: hub.revision, commit: model.commit },
    );
    for (const m of model.hintMismatches ?? [])
      this.opts.warn?.('MANIFEST HINT DISAGREES WITH THE HUB (the hub listing decides)', {
        model: spec.key,
        detail: m,
      });
    return { model, lockedBy: 'first-use' };
  }

  private missingParams(spec: Spec): Record<string, string> {
    const pair = spec.entry?.pair;
    return {
      model: spec.entry?.id ?? spec.key,
      command: this.pullCommand(spec),
      ...(pair ? { pair: `${pair[0]} → ${pair[1]}` } : {}),
    };
  }

  private async prepareHub(
    spec: Spec,
    hub: NonNullable<Spec['hub']>,
    emit: (p: { bytes: number; total: number }) => void,
  ) {
    const local = this.localCopy(spec);
    if (local) return { root: local, files: spec.entry!.hub!.files.map((f) => path.join(local, f.path)) };
    const { model: lock } = await this.lockFor(spec, hub);
    const root = this.hubRoot(lock.repo, lock.commit);
    const files = lock.files.map((f) => path.join(root, f.path));
    const odd = lock.files.find((f) => ['dir', 'other'].includes(kindOf(path.join(root, f.path)) ?? ''));
    if (odd)
      throw new SinapsisError('model_corrupt', {
        model: spec.entry?.id ?? spec.key,
        reason: `${path.join(root, odd.path)} is not a regular file`,
      });
    if (!this.missingFromLock(root, lock).length) return { root, files };
    if (!this.opts.autoDownload) throw new SinapsisError('model_missing', this.missingParams(spec));
    await this.flights.run(spec.key, async () => {
      const progress = emit;
      const missing = this.missingFromLock(root, lock);
      const total = missing.reduce((s, f) => s + f.size, 0);
      const onDisk = new Map<string, number>();
      await ensureDiskSpace(
        root,
        total -
          missing.reduce(
            (s, f) => s + (statSync(path.join(root, `${f.path}.part`), { throwIfNoEntry: false })?.size ?? 0),
            0,
          ),
      );
      this.opts.log?.('downloading model', { model: spec.key, repo: lock.repo, commit: lock.commit, mb: mb(total) });
      for (const f of missing) {
        const file: DownloadFile = {
          label: `${lock.repo}/${f.path}`,
          url: this.hub.resolveUrl(lock.repo, lock.commit, f.path),
          dest: path.join(root, f.path),
          size: f.size,
          sha256: f.sha256,
          sha1: f.sha256 ? undefined : f.sha1,
        };
        await downloadFile(this.hub, file, {
          stallMs: this.opts.stallMs,
          onBytes: (n) => {
            onDisk.set(f.path, n);
            progress({ bytes: [...onDisk.values()].reduce((a, b) => a + b, 0), total });
          },
        });
      }
      this.failures.delete(spec.key);
      this.opts.log?.('model downloaded and verified', { model: spec.key, commit: lock.commit });
    });
    return { root, files };
  }

  private async prepareUrl(spec: Spec, emit: (p: { bytes: number; total: number }) => void) {
    const model = spec.entry!;
    const urlFiles = model.files!;
    const present = urlFiles.map((f) => locateFile(this.opts.dirs, f, model.id));
    if (present.every(Boolean))
      return { root: this.opts.dirs.local ?? this.opts.dirs.cache, files: present as string[] };
    if (!this.opts.autoDownload) throw new SinapsisError('model_missing', this.missingParams(spec));
    await this.flights.run(spec.key, async () => {
      const progress = emit;
      const missing = urlFiles.filter((f) => !locateFile(this.opts.dirs, f, model.id));
      const total = missing.reduce((s, f) => s + (f.size ?? 0), 0);
      await ensureDiskSpace(this.opts.dirs.cache, total);
      const onDisk = new Map<string, number>();
      for (const f of missing) {
        const url = this.opts.mirror ? `${this.opts.mirror.replace(/\/+$/, '')}/${f.path}` : f.url;
        await downloadFile(
          this.hub,
          { label: f.path, url, dest: cachePath(this.opts.dirs, f), size: f.size, sha256: f.sha256 },
          {
            stallMs: this.opts.stallMs,
            onBytes: (n) => {
              onDisk.set(f.path, n);
              progress({ bytes: [...onDisk.values()].reduce((a, b) => a + b, 0), total });
            },
          },
        );
      }
      this.failures.delete(spec.key);
    });
    return { root: this.opts.dirs.cache, files: urlFiles.map((f) => locateFile(this.opts.dirs, f, model.id)!) };
  }

  /** Local paths of every file of a manifest model, downloading them first when allowed. */
  async files(id: string): Promise<string[]> {
    return this.watching(id, () => this.prepare(this.spec(id, this.entry(id).task, false))).then((r) => r.files);
  }

  /** Downloads (or finds) a model now: `npm run models:pull`. */
  async install(id: string): Promise<string[]> {
    return this.files(id);
  }

  /**
   * An onnxruntime session for a manifest model, loaded once. A `variant`
   * edits the verified model bytes first (e.g. to expose an inner tensor) and
   * is cached beside the plain session under its own name.
   */
  onnxSession(id: string, variant?: OnnxVariant): Promise<ort.InferenceSession> {
    return this.watching(id, () =>
      cached(this.sessions, variant ? `${id}#${variant.name}` : id, () => this.loadOnnx(id, variant)),
    );
  }

  /**
   * Runs `fn` with the current request (if it listens) in the model's
   * audience: a request that finds the model already loading still sees the
   * download's progress.
   */
  private async watching<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const listener = currentDownloadListener();
    if (!listener) return fn();
    const set = this.audience.get(key) ?? new Set();
    this.audience.set(key, set);
    set.add(listener);
    try {
      return await fn();
    } finally {
      set.delete(listener);
      if (!set.size) this.audience.delete(key);
    }
  }

  /** Load time in ms of a model loaded by this registry, if it was. */
  loadTimeMs(id: string): number | undefined {
    return this.loadTimes.get(id);
  }

  async warm(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.onnxSession(id)));
  }

  /**
   * A transformers.js text-generation pipeline for a manifest id, a hub ref
   * or, when `allowFolder` (the CLI), a local model folder. Loaded once, then cached.
   */
  async textGenerator(
    ref: string | undefined,
    opts: { allowFolder?: boolean } = {},
  ): Promise<{ generator: TextGenerationPipeline; id: string }> {
    if (!ref && !this.defaultRef('generate-text'))
      throw new SinapsisError('model_missing', { model: 'generate-text (SINAPSIS_TEXT_MODEL)' });
    const { pipeline, id } = await this.forTask('generate-text', ref, opts);
    // --model naming an onnxruntime network (a face detector) is not a text generator.
    if (!pipeline) throw new SinapsisError('model_corrupt', { model: id });
    return { generator: pipeline as TextGenerationPipeline, id };
  }

  /** The administrator's model for a manifest task, else the manifest's first entry for it. */
  defaultRef(task: string): string | undefined {
    return this.opts.settings?.[task] ?? this.manifest.models.find((m) => m.task === task)?.id;
  }

  /**
   * The model for a manifest task, loaded once and cached: `ref` (a manifest id, hub ref, or
   * with `allowFolder` a local folder), else the administrator's setting, else the manifest's
   * first entry of that task. What it loads follows the entry's runtime: an onnxruntime
   * session, or a transformers.js pipeline. A new command's task needs no getter of its own.
   */
  async forTask(task: string, ref?: string, opts: { allowFolder?: boolean } = {}): Promise<LoadedModel> {
    const chosen = ref ?? this.defaultRef(task);
    if (!chosen) throw new SinapsisError('model_missing', { model: task });
    const entry = this.manifest.models.find((m) => m.id === chosen);
    if (entry?.runtime === 'onnxruntime') return { id: entry.id, entry, session: await this.onnxSession(entry.id) };
    // The administrator's own file or folder (a setting) is trusted like a CLI --model folder.
    const trusted = Boolean(opts.allowFolder) || chosen === this.opts.settings?.[task];
    const runtime = entry?.runtime ?? this.manifest.models.find((m) => m.task === task)?.runtime;
    if (!entry && trusted && runtime === 'onnxruntime')
      return { id: path.basename(chosen, '.onnx'), session: await this.fileSession(path.resolve(chosen)) };
    const { pipe, id } = await this.hfPipeline(task, chosen, trusted);
    return { id, pipeline: pipe, ...(entry ? { entry } : {}) };
  }

  /** Language pairs this server can translate: configured folders/ids, then manifest entries. */
  translationPairs(): Record<string, string> {
    const fromManifest = Object.fromEntries(
      this.manifest.models.filter((m) => m.task === 'translate' && m.pair).map((m) => [m.pair!.join('-'), m.id]),
    );
    return { ...fromManifest, ...this.opts.translationModels };
  }

  async translator(from: string, to: string): Promise<{ translator: TranslationPipeline; id: string }> {
    const ref = this.translationPairs()[`${from}-${to}`];
    if (!ref)
      throw new SinapsisError('unsupported_pair', {
        from,
        to,
        supported: Object.keys(this.translationPairs()).join(', ') || '—',
      });
    try {
      const { pipe, id } = await this.hfPipeline('translate', ref, true);
      return { translator: pipe as TranslationPipeline, id };
    } catch (err) {
      // "No model installed for es → en" is not "es → en is not supported".
      if (err instanceof SinapsisError && err.code === 'model_missing' && !err.params.pair)
        throw new SinapsisError('model_missing', { ...err.params, pair: `${from} → ${to}` }, { cause: err.cause });
      throw err;
    }
  }

  /**
   * The colorization network: the configured file or id, else the manifest's
   * first `colorize` model. A local file is the administrator's own (like a
   * model folder), so it is loaded without a checksum.
   */
  async colorizer(): Promise<{
    session: ort.InferenceSession;
    id: string;
    input: 'grey-rgb' | 'lightness' | undefined;
  }> {
    const configured = this.opts.settings?.colorize;
    const candidates = configured
      ? [configured]
      : this.manifest.models.filter((m) => m.task === 'colorize').map((m) => m.id);
    if (!candidates.length) throw new SinapsisError('model_missing', { model: 'colorize (SINAPSIS_COLORIZE_MODEL)' });
    for (let i = 0; ; i++) {
      try {
        return await this.colorizerFor(candidates[i]!);
      } catch (err) {
        // The default's repo gone from the hub: the next manifest entry (Zhang et al.) stands in.
        if (i + 1 < candidates.length && err instanceof SinapsisError && err.code === 'model_not_found') {
          this.opts.warn?.('colorizer not found; using the next one in the manifest', {
            model: candidates[i],
            next: candidates[i + 1],
          });
          continue;
        }
        throw err;
      }
    }
  }

  private async colorizerFor(
    ref: string,
  ): Promise<{ session: ort.InferenceSession; id: string; input: 'grey-rgb' | 'lightness' | undefined }> {
    const entry = this.manifest.models.find((m) => m.id === ref);
    if (entry) return { session: await this.onnxSession(ref), id: ref, input: entry.input };
    const file = path.resolve(ref);
    return { session: await this.fileSession(file), id: path.basename(file, '.onnx'), input: undefined };
  }

  /** An administrator's own .onnx file (a setting), loaded without a checksum, once. */
  private fileSession(file: string): Promise<ort.InferenceSession> {
    const id = path.basename(file, '.onnx');
    return cached(this.sessions, `file:${file}`, async () => {
      const kind = kindOf(file);
      if (!kind) throw new SinapsisError('model_missing', { model: id });
      if (kind !== 'file')
        throw new SinapsisError('model_corrupt', { model: id, reason: `${file} is not a regular .onnx file` });
      try {
        return await this.timed(ort.InferenceSession.create(file, this.sessionOptions()), id);
      } catch (err) {
        if (err instanceof SinapsisError) throw err;
        throw new SinapsisError('model_corrupt', { model: id }, { cause: err });
      }
    });
  }

  /**
   * The sentence-embedding pipeline (configured folder or id, else the
   * manifest's first `embed` model), or undefined when none is set up:
   * callers then fall back to lexical search.
   */
  async embedder(): Promise<
    { embedder: FeatureExtractionPipeline; id: string; prefixes: { query: string; passage: string } } | undefined
  > {
    const ref = this.defaultRef('embed');
    if (!ref) return undefined;
    // An optional extra: after a failed download, /explain answers lexically for a minute instead of
    // waiting on the network at every question (required models retry on every request).
    const failed = this.failures.get(
      this.manifest.models.some((m) => m.id === ref)
        ? ref
        : parseHubRef(ref)
          ? `${parseHubRef(ref)!.repo}@${parseHubRef(ref)!.revision}`
          : ref,
    );
    if (failed && Date.now() - failed.at < OPTIONAL_RETRY_MS)
      throw new SinapsisError('model_download_failed', {
        model: ref,
        reason: failed.message,
        command: `npm run models:pull -- ${ref}`,
      });
    const { pipe, id } = await this.hfPipeline('embed', ref, ref === this.opts.settings?.embed);
    const entry = this.manifest.models.find((m) => m.id === ref);
    // E5 models expect these prefixes; a manifest entry can name others.
    return {
      embedder: pipe as FeatureExtractionPipeline,
      id,
      prefixes: entry?.prefixes ?? { query: 'query: ', passage: 'passage: ' },
    };
  }

  private async hfPipeline(task: string, ref: string, folderAllowed: boolean) {
    const spec = this.spec(ref, task, folderAllowed);
    if (!spec.entry && !spec.local && !spec.hub) throw new SinapsisError('model_missing', { model: ref });
    if (spec.local && !existsSync(path.join(spec.local, 'config.json')))
      throw new SinapsisError(kindOf(spec.local) === 'file' ? 'model_corrupt' : 'model_missing', { model: ref });
    const pipe = await this.watching(spec.key, () =>
      cached(this.generators, `${task}:${spec.key}`, () => this.loadPipeline(spec)),
    );
    return { pipe, id: spec.local ? path.basename(spec.local) : (spec.entry?.id ?? spec.key) };
  }

  private timed<T>(p: Promise<T>, model: string): Promise<T> {
    const ms = this.opts.loadTimeoutMs;
    return withTimeout(
      p,
      ms,
      () => new SinapsisError('model_load_timeout', { model, seconds: Math.max(1, Math.round((ms ?? 0) / 1000)) }),
    );
  }

  private async loadPipeline(spec: Spec) {
    const started = performance.now();
    const { root, files } = await this.prepare(spec);
    // A folder says which weights it carries (convert-llama2c --dtype q8 writes model_quantized.onnx).
    const dtype = spec.dtype ?? (spec.hub ? dtypeOfFiles(files) : ((spec.local && folderDtype(spec.local)) ?? 'fp32'));
    // Never reach for the hub from transformers.js: files come from our verified download or a local folder.
    hfEnv.allowRemoteModels = false;
    hfEnv.localModelPath = '/';
    const name = spec.local ? path.basename(spec.local) : (spec.entry?.id ?? spec.key);
    try {
      // SINAPSIS_ORT_THREADS applies to pipelines too, not only to plain sessions.
      const session_options = this.opts.ortThreads ? { intraOpNumThreads: this.opts.ortThreads } : {};
      const pipe = await this.timed(
        pipeline((spec.entry?.pipeline ?? HF_TASKS[spec.task] ?? spec.task) as HfTask, root, {
          dtype: dtype as 'fp32',
          session_options,
        }),
        name,
      );
      this.loadTimes.set(spec.key, performance.now() - started);
      this.opts.log?.('model loaded', { model: spec.key, ms: Math.round(performance.now() - started) });
      return pipe as HfPipeline;
    } catch (err) {
      if (err instanceof SinapsisError) throw err;
      throw new SinapsisError('model_corrupt', { model: name }, { cause: err });
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
    const entry = this.entry(id);
    const [file] = await this.files(id);
    // Non-hub files: the manifest's sha256 decides. Hub files were verified when downloaded (the lock is in the data dir).
    const expected = entry.files?.[0];
    if (expected && statSync(file!).size <= VERIFY_ON_LOAD_MAX_BYTES && (await sha256File(file!)) !== expected.sha256) {
      throw new SinapsisError('model_corrupt', { model: id });
    }
    try {
      const options = this.sessionOptions();
      const session = await this.timed(
        variant
          ? ort.InferenceSession.create(variant.edit(readFileSync(file!)), options)
          : ort.InferenceSession.create(file!, options),
        id,
      );
      if (variant) return session;
      this.loadTimes.set(id, performance.now() - started);
      this.opts.log?.('model loaded', { model: id, ms: Math.round(performance.now() - started) });
      return session;
    } catch (err) {
      if (err instanceof SinapsisError) throw err;
      throw new SinapsisError('model_corrupt', { model: id }, { cause: err });
    }
  }

  /** The models a manifest task would load now: its one default, or for translation every pair's model. */
  refsFor(task: string): string[] {
    if (task === 'translate') return [...new Set(Object.values(this.translationPairs()))];
    const ref = this.defaultRef(task);
    return ref ? [ref] : [];
  }

  /** A model's state now, from the disk and the locks alone (no network). */
  state(ref: string, task: string): ModelState {
    const base = { task, model: ref, repo: null, commit: null, bytes: null, licence: null, locked_by: null } as Omit<
      ModelState,
      'state'
    >;
    let spec: Spec;
    try {
      spec = this.spec(ref, task);
    } catch {
      return { ...base, state: 'unavailable', reason: { code: 'not_found', params: { model: ref } } };
    }
    const failure = this.failures.get(spec.key);
    const failed = failure && Date.now() - failure.at < FAILURE_MEMORY_MS ? failure : undefined;
    const off = (s: Omit<ModelState, 'state'>): ModelState => ({
      ...s,
      state: 'unavailable',
      reason: { code: 'auto_download_off', params: { command: this.pullCommand(spec) } },
    });
    const willDownload = (s: Omit<ModelState, 'state'>): ModelState =>
      failed
        ? {
            ...s,
            state: 'unavailable',
            reason: {
              code: 'last_download_failed',
              params: { reason: failed.message, command: this.pullCommand(spec) },
            },
          }
        : { ...s, state: 'download' };
    if (spec.local) {
      const kind = kindOf(spec.local);
      return kind
        ? { ...base, state: 'installed', bytes: kind === 'file' ? statSync(spec.local).size : null }
        : { ...base, state: 'unavailable', reason: { code: 'not_found', params: { model: ref } } };
    }
    const licence = spec.entry?.licence ?? null;
    if (spec.hub) {
      const locked = this.locks.get(spec.key, spec.hub.repo, spec.hub.revision);
      const s = {
        ...base,
        repo: spec.hub.repo,
        commit: locked?.model.commit ?? (/^[0-9a-f]{40}$/.test(spec.hub.revision) ? spec.hub.revision : null),
        licence: locked?.model.licence ?? licence,
        locked_by: locked?.lockedBy ?? null,
        ...(locked?.model.hintMismatches ? { warnings: locked.model.hintMismatches } : {}),
      };
      const local = this.localCopy(spec);
      if (local)
        return {
          ...s,
          state: 'installed',
          bytes: spec.entry!.hub!.files.reduce((n, f) => n + statSync(path.join(local, f.path)).size, 0),
        };
      if (locked) {
        const root = this.hubRoot(locked.model.repo, locked.model.commit);
        const missing = this.missingFromLock(root, locked.model);
        if (!missing.length)
          return { ...s, state: 'installed', bytes: locked.model.files.reduce((n, f) => n + f.size, 0) };
        const left = missing.reduce((n, f) => n + f.size, 0);
        return this.opts.autoDownload ? willDownload({ ...s, bytes: left }) : off({ ...s, bytes: left });
      }
      const hinted =
        Array.isArray(spec.hub.files) && spec.hub.files.every((f) => f.size)
          ? spec.hub.files.reduce((n, f) => n + (f.size ?? 0), 0)
          : spec.entry?.approxMB
            ? spec.entry.approxMB * 1e6
            : null;
      return this.opts.autoDownload ? willDownload({ ...s, bytes: hinted }) : off({ ...s, bytes: hinted });
    }
    const files = spec.entry!.files!;
    let present: (string | undefined)[];
    try {
      present = files.map((f) => locateFile(this.opts.dirs, f, spec.key));
    } catch {
      return { ...base, licence, state: 'unavailable', reason: { code: 'not_found', params: { model: ref } } };
    }
    const s = { ...base, licence };
    if (present.every(Boolean))
      return { ...s, state: 'installed', bytes: present.reduce((n, p) => n + statSync(p!).size, 0) };
    const left =
      files.filter((_, i) => !present[i]).reduce((n, f) => n + (f.size ?? 0), 0) ||
      (spec.entry?.approxMB ? spec.entry.approxMB * 1e6 : null);
    return this.opts.autoDownload ? willDownload({ ...s, bytes: left }) : off({ ...s, bytes: left });
  }
}
