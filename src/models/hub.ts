// A small client for the Hugging Face hub's public HTTP API: what huggingface_hub
// itself reads to pin a model (revision → commit, the tree listing with each
// file's hashes, the resolve endpoint's X-Repo-Commit / X-Linked-Etag headers).
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { HubFile } from './manifest.js';
import type { LockedFile, LockedModel } from './lock.js';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

export type HubErrorKind =
  | 'repo_not_found'
  | 'revision_not_found'
  | 'file_not_found'
  | 'http'
  | 'network'
  | 'inconsistent';

/** A failure talking to the hub (or a mirror), with the host and HTTP status a human needs. */
/** What a message in another language needs besides the kind, host and status (see reason-es.ts). */
export interface HubErrorDetail {
  /** For 'network': not reached at all, no answer in time, or cut mid-body. */
  why?: 'unreachable' | 'timeout' | 'interrupted';
  /** The system's error code (ENOTFOUND, ECONNREFUSED…). */
  code?: string;
  /** For 'revision_not_found': the revision asked for. */
  revision?: string;
}

export class HubError extends Error {
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    readonly host: string,
    readonly status?: number,
    readonly detail: HubErrorDetail = {},
  ) {
    super(message);
    this.name = 'HubError';
  }
}

export interface HubOptions {
  endpoint?: string;
  /** HF_TOKEN: sent to the endpoint only (never to the CDN it redirects to), never logged. */
  token?: string;
  /** A request with no answer (headers) for this long is abandoned. */
  timeoutMs?: number;
}

interface TreeEntry {
  type: 'file' | 'directory';
  path: string;
  size: number;
  oid: string;
  lfs?: { oid: string; size: number };
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};
const unquote = (v: string | null) => (v ? v.replace(/^W\//, '').replace(/"/g, '') : undefined);
const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

/** "could not reach huggingface.co (ENOTFOUND)", "no answer from … in time": never just "fetch failed". */
export function describeFetchError(err: unknown, url: string): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  if ((err as Error).name === 'TimeoutError') return `no answer from ${hostOf(url)} in time`;
  return `could not reach ${hostOf(url)} (${code ?? cause?.message ?? (err as Error).message})`;
}

/** A request that got no answer, as a HubError whose detail says why and with which code. */
function networkError(err: unknown, url: string, host: string): HubError {
  const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
  const why = (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable';
  return new HubError('network', describeFetchError(err, url), host, undefined, { why, code });
}

export class HubClient {
  readonly endpoint: string;

  constructor(private readonly opts: HubOptions = {}) {
    this.endpoint = (opts.endpoint ?? DEFAULT_HF_ENDPOINT).replace(/\/+$/, '');
  }

  get host(): string {
    return hostOf(this.endpoint);
  }

  resolveUrl(repo: string, commit: string, file: string): string {
    return `${this.endpoint}/${repo}/resolve/${commit}/${encodePath(file)}`;
  }

  /**
   * fetch with redirects followed by hand: the token goes only to the
   * endpoint's origin, and the first answer's headers stay readable.
   */
  async request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; signal?: AbortSignal; follow?: boolean } = {},
  ): Promise<Response> {
    const origin = new URL(this.endpoint).origin;
    let current = url;
    for (let hop = 0; hop < 6; hop++) {
      const headers: Record<string, string> = { 'user-agent': 'sinapsis', ...init.headers };
      if (this.opts.token && new URL(current).origin === origin) headers.authorization = `Bearer ${this.opts.token}`;
      const signals = [init.signal, this.opts.timeoutMs ? AbortSignal.timeout(this.opts.timeoutMs) : undefined].filter(
        Boolean,
      ) as AbortSignal[];
      let res: Response;
      try {
        res = await fetch(current, {
          method: init.method ?? 'GET',
          headers,
          redirect: 'manual',
          signal: signals.length ? AbortSignal.any(signals) : undefined,
        });
      } catch (err) {
        if (init.signal?.aborted) throw err;
        throw networkError(err, current, hostOf(current));
      }
      const location = res.headers.get('location');
      if (init.follow === false || res.status < 300 || res.status >= 400 || !location) return res;
      await res.body?.cancel();
      current = new URL(location, current).toString();
    }
    throw new HubError('http', `too many redirects from ${hostOf(url)}`, hostOf(url));
  }

  /**
   * A file's bytes as a node stream (node:http is markedly faster than fetch
   * for large bodies), redirects followed by hand with the same token rule.
   */
  async download(
    url: string,
    init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<{ res: IncomingMessage; url: string }> {
    const origin = new URL(this.endpoint).origin;
    let current = url;
    for (let hop = 0; hop < 6; hop++) {
      const target = new URL(current);
      const headers: Record<string, string> = { 'user-agent': 'sinapsis', ...init.headers };
      if (this.opts.token && target.origin === origin) headers.authorization = `Bearer ${this.opts.token}`;
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = (target.protocol === 'https:' ? httpsGet : httpGet)(
          target,
          { headers, signal: init.signal },
          resolve,
        );
        req.on('error', (err) => reject(init.signal?.aborted ? err : networkError(err, current, target.host)));
      });
      const location = res.headers.location;
      const status = res.statusCode ?? 0;
      if (status < 300 || status >= 400 || !location) return { res, url: current };
      res.resume();
      current = new URL(location, current).toString();
    }
    throw new HubError('http', `too many redirects from ${hostOf(url)}`, hostOf(url));
  }

  private async json<T>(url: string, repo: string, revision: string): Promise<{ body: T; res: Response }> {
    const res = await this.request(url);
    if (!res.ok) {
      await res.body?.cancel();
      throw this.statusError(res, url, repo, revision);
    }
    return { body: (await res.json()) as T, res };
  }

  private statusError(res: Response, url: string, repo: string, revision: string, file?: string): HubError {
    const code = res.headers.get('x-error-code');
    const host = hostOf(url);
    if (code === 'RepoNotFound' || (!code && (res.status === 401 || res.status === 404) && !file))
      return new HubError(
        'repo_not_found',
        `${repo} does not exist on ${host} (or is private: set HF_TOKEN) — HTTP ${res.status}`,
        host,
        res.status,
      );
    if (code === 'RevisionNotFound')
      return new HubError(
        'revision_not_found',
        `${repo} has no revision "${revision}" on ${host} — HTTP ${res.status}`,
        host,
        res.status,
        { revision },
      );
    if (code === 'EntryNotFound' || (file && res.status === 404))
      return new HubError(
        'file_not_found',
        `${repo}@${revision} has no file ${file ?? ''} on ${host} — HTTP ${res.status}`,
        host,
        res.status,
      );
    return new HubError(
      'http',
      `HTTP ${res.status} from ${host} for ${repo}${file ? `/${file}` : ''}`,
      host,
      res.status,
    );
  }

  /** A branch, tag or commit → the 40-hex commit it names now. */
  async commitOf(repo: string, revision: string): Promise<string> {
    return (await this.info(repo, revision)).commit;
  }

  /** The commit a revision names now, and the licence the repo's card declares (if any). */
  async info(repo: string, revision: string): Promise<{ commit: string; licence?: string }> {
    const url = `${this.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
    const { body } = await this.json<{ sha?: string; cardData?: { license?: unknown }; tags?: unknown }>(
      url,
      repo,
      revision,
    );
    if (!body.sha || !/^[0-9a-f]{40}$/.test(body.sha))
      throw new HubError('inconsistent', `${this.host} gave no commit for ${repo}@${revision}`, this.host);
    const fromTags = Array.isArray(body.tags)
      ? (body.tags.find((x) => typeof x === 'string' && x.startsWith('license:')) as string | undefined)?.slice(8)
      : undefined;
    const declared = typeof body.cardData?.license === 'string' ? body.cardData.license : fromTags;
    return { commit: body.sha, ...(declared ? { licence: declared } : {}) };
  }

  /** Every file at a commit, with its size and hashes (follows the listing's pages). */
  async tree(repo: string, commit: string): Promise<TreeEntry[]> {
    const out: TreeEntry[] = [];
    let url: string | undefined = `${this.endpoint}/api/models/${repo}/tree/${commit}?recursive=true`;
    for (let page = 0; url && page < 100; page++) {
      const { body, res }: { body: TreeEntry[]; res: Response } = await this.json<TreeEntry[]>(url, repo, commit);
      out.push(...body.filter((e) => e.type === 'file'));
      const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '');
      url = next ? new URL(next[1]!, url).toString() : undefined;
    }
    return out;
  }

  /** The resolve endpoint's own statement about a file, read before its redirect. */
  async head(
    repo: string,
    commit: string,
    file: string,
  ): Promise<{ commit?: string; sha256?: string; size?: number; etag?: string }> {
    const url = this.resolveUrl(repo, commit, file);
    const res = await this.request(url, { method: 'HEAD', follow: false });
    if (res.status >= 400) throw this.statusError(res, url, repo, commit, file);
    const linkedSize = res.headers.get('x-linked-size');
    return {
      commit: res.headers.get('x-repo-commit') ?? undefined,
      sha256: unquote(res.headers.get('x-linked-etag')),
      size: linkedSize ? Number(linkedSize) : undefined,
      etag: unquote(res.headers.get('etag')),
    };
  }

  /**
   * Pins `repo@revision`: the commit it names now, each wanted file's size
   * and hash from the tree listing, cross-checked with the resolve headers.
   * `wanted` is a list of paths, or a picker over the listing (admin-named repos).
   */
  async lock(
    repo: string,
    revision: string,
    wanted: HubFile[] | ((paths: string[]) => string[]),
    extra: { licence?: string } = {},
  ): Promise<LockedModel> {
    const { commit, licence: declared } = await this.info(repo, revision);
    const tree = await this.tree(repo, commit);
    const byPath = new Map(tree.map((e) => [e.path, e]));
    const files =
      typeof wanted === 'function' ? wanted(tree.map((e) => e.path)).map((p) => ({ path: p }) as HubFile) : wanted;
    if (!files.length)
      throw new HubError(
        'file_not_found',
        `${repo}@${commit.slice(0, 8)} has no files this task can load (config.json and ONNX weights under onnx/)`,
        this.host,
      );
    const locked: LockedFile[] = [];
    const hintMismatches: string[] = [];
    for (const f of files) {
      const e = byPath.get(f.path);
      if (!e)
        throw new HubError(
          'file_not_found',
          `${repo}@${commit.slice(0, 8)} has no file ${f.path} on ${this.host}`,
          this.host,
          404,
        );
      const entry: LockedFile = e.lfs
        ? { path: f.path, size: e.lfs.size, sha256: e.lfs.oid }
        : { path: f.path, size: e.size, sha1: e.oid };
      const head = await this.head(repo, commit, f.path);
      if (head.commit && head.commit !== commit)
        throw new HubError(
          'inconsistent',
          `${this.host} resolved ${repo}/${f.path} at commit ${head.commit}, not ${commit}`,
          this.host,
        );
      const stated = entry.sha256 ? (head.sha256 ?? head.etag) : head.etag;
      if (stated && stated !== (entry.sha256 ?? entry.sha1))
        throw new HubError(
          'inconsistent',
          `${this.host} lists ${repo}/${f.path} as ${entry.sha256 ?? entry.sha1} but its download headers say ${stated}`,
          this.host,
        );
      if (entry.sha256 && head.size !== undefined && head.size !== entry.size)
        throw new HubError(
          'inconsistent',
          `${this.host} lists ${repo}/${f.path} as ${entry.size} bytes but its download headers say ${head.size}`,
          this.host,
        );
      if (f.sha256 && f.sha256 !== entry.sha256)
        hintMismatches.push(
          `${f.path}: manifest hint sha256 ${f.sha256}, hub ${entry.sha256 ?? `git sha1 ${entry.sha1}`}`,
        );
      if (f.size && f.size !== entry.size)
        hintMismatches.push(`${f.path}: manifest hint ${f.size} bytes, hub ${entry.size}`);
      locked.push(entry);
    }
    // What the repo declares is recorded; a manifest that says otherwise is reported.
    if (declared && extra.licence && declared.toLowerCase() !== extra.licence.toLowerCase())
      hintMismatches.push(`licence: manifest ${extra.licence}, the repo declares ${declared}`);
    const licence = declared ?? extra.licence;
    return {
      repo,
      revision,
      commit,
      files: locked,
      ...(licence ? { licence } : {}),
      lockedAt: new Date().toISOString(),
      ...(hintMismatches.length ? { hintMismatches } : {}),
    };
  }
}

/** The files transformers.js reads for a task, picked from a repo listing (for admin-named repos). */
export function pickTransformersFiles(paths: string[], task: string, dtype: string | undefined): string[] {
  const has = new Set(paths);
  const configs = [
    'config.json',
    'generation_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'preprocessor_config.json',
  ].filter((p) => has.has(p));
  if (!has.has('config.json')) return [];
  const suffixes = dtype
    ? [{ fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4', q4f16: '_q4f16' }[dtype] ?? '']
    : ['_quantized', ''];
  const bases =
    task === 'translate' ? [['encoder_model', 'decoder_model_merged']] : [['model'], ['decoder_model_merged']];
  for (const suffix of suffixes)
    for (const group of bases) {
      const onnx = group.map((b) => `onnx/${b}${suffix}.onnx`);
      if (onnx.every((p) => has.has(p))) {
        // Weights split into external data files travel with their model.
        const data = paths.filter((p) => onnx.some((o) => p.startsWith(`${o}_data`)));
        return [...configs, ...onnx, ...data];
      }
    }
  return [];
}

/** The dtype a picked file list implies (q8 when the quantized export was taken). */
export function dtypeOfFiles(files: string[]): 'q8' | 'fp32' | 'fp16' | 'q4' | 'q4f16' {
  const onnx = files.find((f) => f.endsWith('.onnx')) ?? '';
  if (onnx.endsWith('_quantized.onnx')) return 'q8';
  if (onnx.endsWith('_q4f16.onnx')) return 'q4f16';
  if (onnx.endsWith('_q4.onnx')) return 'q4';
  if (onnx.endsWith('_fp16.onnx')) return 'fp16';
  return 'fp32';
}
