// A local stand-in for the Hugging Face hub, on 127.0.0.1: the revision and
// tree APIs, `resolve` answering small files itself (ETag = git blob sha1) and
// redirecting LFS files (302) to a "CDN" path with X-Repo-Commit,
// X-Linked-Etag (sha256) and X-Linked-Size, and Range requests on both.
// Tests can move a branch, serve damaged bytes, cut or stall a download, and
// count requests.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';

/** Bytes of a file: in memory, or generated on the fly (large bench files that must not sit in memory). */
export type Content = Buffer | { size: number; generate: (start: number, end: number) => Buffer };

interface Entry {
  content: Content;
  size: number;
  sha1: string;
  sha256: string;
  lfs: boolean;
}

export interface HubRequest {
  method: string;
  url: string;
  range?: string;
  authorization?: string;
}

const isLfs = (p: string) => /\.(onnx|bin|onnx_data|safetensors)$/.test(p);
const slice = (c: Content, start: number, end: number) =>
  Buffer.isBuffer(c) ? c.subarray(start, end) : c.generate(start, end);

function hashes(c: Content, size: number) {
  const sha256 = createHash('sha256');
  const sha1 = createHash('sha1').update(`blob ${size}\0`);
  const step = 8 * 1024 * 1024;
  for (let i = 0; i < size; i += step) {
    const b = slice(c, i, Math.min(size, i + step));
    sha256.update(b);
    sha1.update(b);
  }
  return { sha256: sha256.digest('hex'), sha1: sha1.digest('hex') };
}

/** Every file under a folder, by relative path (the tiny fixtures as a repo). */
export function folderFiles(dir: string, prefix = ''): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) Object.assign(out, folderFiles(p, `${prefix}${name}/`));
    else out[`${prefix}${name}`] = readFileSync(p);
  }
  return out;
}

export class FakeHub {
  private server?: Server;
  /** The "CDN": another origin, as on the real hub, so a token must not follow the redirect. */
  private cdn?: Server;
  cdnBase = '';
  private readonly repos = new Map<string, { refs: Map<string, string>; commits: Map<string, Map<string, Entry>> }>();
  private readonly blobs = new Map<string, Entry>();
  readonly requests: HubRequest[] = [];
  base = '';
  /** Serve these sha256 blobs with one byte flipped (a damaged mirror). */
  readonly corrupt = new Set<string>();
  /** The next CDN download is cut (clean close) after this many bytes. */
  cutNext = 0;
  /** The next CDN download sends this many bytes, then nothing (stalls) until the client gives up. */
  stallNext = 0;
  /** When set, API and resolve requests need `Authorization: Bearer <token>`. */
  token?: string;
  /** Delay before each CDN body chunk, to watch progress. */
  chunkDelayMs = 0;
  private seq = 0;

  /** Adds a commit to a repo and points `ref` (default main) at it; returns the commit. */
  commit(repo: string, files: Record<string, Content>, ref = 'main'): string {
    const r = this.repos.get(repo) ?? { refs: new Map(), commits: new Map() };
    this.repos.set(repo, r);
    const commit = createHash('sha1')
      .update(`${repo}#${this.seq++}#${Object.keys(files).join(',')}`)
      .digest('hex');
    const tree = new Map<string, Entry>();
    for (const [p, content] of Object.entries(files)) {
      const size = Buffer.isBuffer(content) ? content.length : content.size;
      const entry = { content, size, ...hashes(content, size), lfs: isLfs(p) };
      tree.set(p, entry);
      this.blobs.set(entry.sha256, entry);
    }
    r.commits.set(commit, tree);
    r.refs.set(ref, commit);
    return commit;
  }

  entry(repo: string, file: string, ref = 'main'): Entry {
    const r = this.repos.get(repo)!;
    return r.commits.get(r.refs.get(ref) ?? ref)!.get(file)!;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    this.cdn = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.cdn!.listen(0, '127.0.0.1', r));
    this.cdnBase = `http://127.0.0.1:${(this.cdn.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of [this.server, this.cdn]) {
      s?.closeAllConnections();
      await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
    }
  }

  private fail(res: ServerResponse, status: number, code: string) {
    res
      .writeHead(status, { 'content-type': 'application/json', 'x-error-code': code })
      .end(JSON.stringify({ error: code }));
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({
      method: req.method ?? 'GET',
      url: url.pathname + url.search,
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    if (cdn) {
      const blob = this.blobs.get(cdn[1]!);
      return blob ? this.send(req, res, blob, {}) : this.fail(res, 404, 'EntryNotFound');
    }
    if (this.token && req.headers.authorization !== `Bearer ${this.token}`) return this.fail(res, 401, 'RepoNotFound');
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repoName = decodeURIComponent((api ?? resolve)?.[1] ?? '');
    const repo = this.repos.get(repoName);
    if (!api && !resolve) return this.fail(res, 404, 'NotFound');
    if (!repo) return this.fail(res, 404, 'RepoNotFound');
    const rev = decodeURIComponent(api ? api[3]! : resolve![2]!);
    const commit = repo.refs.get(rev) ?? (repo.commits.has(rev) ? rev : undefined);
    if (!commit) return this.fail(res, 404, 'RevisionNotFound');
    const tree = repo.commits.get(commit)!;
    if (api?.[2] === 'revision') {
      // Like the hub: the model card's front matter (README.md) comes back as cardData, its licence also as a tag.
      const readme = tree.get('README.md');
      const license =
        readme && Buffer.isBuffer(readme.content)
          ? /^license:\s*(\S+)/m.exec(readme.content.toString())?.[1]
          : undefined;
      return res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: repoName,
          sha: commit,
          tags: license ? [`license:${license}`] : [],
          ...(license ? { cardData: { license } } : {}),
        }),
      );
    }
    if (api) {
      const list = [...tree.entries()].map(([p, e]) => ({
        type: 'file',
        path: p,
        size: e.size,
        oid: e.sha1,
        ...(e.lfs ? { lfs: { oid: e.sha256, size: e.size, pointerSize: 134 } } : {}),
      }));
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list));
    }
    const file = decodeURIComponent(resolve![3]!);
    const e = tree.get(file);
    if (!e) return this.fail(res, 404, 'EntryNotFound');
    if (e.lfs) {
      return res
        .writeHead(302, {
          location: `${this.cdnBase}/cdn/${e.sha256}`,
          'x-repo-commit': commit,
          'x-linked-etag': `"${e.sha256}"`,
          'x-linked-size': String(e.size),
          etag: `"${e.sha256}"`,
          'content-length': '0',
        })
        .end();
    }
    return this.send(req, res, e, { 'x-repo-commit': commit, etag: `"${e.sha1}"` });
  }

  private send(req: IncomingMessage, res: ServerResponse, e: Entry, headers: Record<string, string>) {
    const m = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    if (start >= e.size && e.size > 0) return res.writeHead(416, { 'content-range': `bytes */${e.size}` }).end();
    res.writeHead(m ? 206 : 200, {
      ...headers,
      'content-length': String(e.size - start),
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${e.size - 1}/${e.size}` } : {}),
    });
    if (req.method === 'HEAD') return res.end();
    const cut = this.cutNext;
    const stall = this.stallNext;
    this.cutNext = 0;
    this.stallNext = 0;
    const damaged = this.corrupt.has(e.sha256);
    const step = 1024 * 1024;
    let pos = start;
    const pump = () => {
      while (pos < e.size) {
        if (cut && pos - start >= cut) return void res.socket?.end();
        if (stall && pos - start >= stall) return; // nothing more, connection left open
        const end = Math.min(e.size, pos + step, cut ? start + cut : Infinity, stall ? start + stall : Infinity);
        let chunk = slice(e.content, pos, end);
        if (damaged && pos === start) chunk = Buffer.from(chunk).fill(chunk[0]! ^ 0xff, 0, 1);
        pos = end;
        const more = res.write(chunk);
        if (this.chunkDelayMs) return void setTimeout(pump, this.chunkDelayMs);
        if (!more) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  }
}

// Standalone (bench): `tsx tests/fakes/hub/server.ts <MB>` serves bench/big-model with a generated file of that size.
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const size = Number(process.argv[2] ?? 500) * 1024 * 1024;
  const pattern = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 31 + 7) & 255;
  const generate = (start: number, end: number) => {
    const out = Buffer.allocUnsafe(end - start);
    for (let o = 0; o < out.length; ) {
      const at = (start + o) % pattern.length;
      o += pattern.copy(out, o, at, Math.min(pattern.length, at + out.length - o));
    }
    return out;
  };
  const hub = new FakeHub();
  const commit = hub.commit('bench/big-model', {
    'config.json': Buffer.from('{"model_type":"bench"}'),
    'onnx/model.onnx': { size, generate },
  });
  await hub.start();
  process.stdout.write(
    `${JSON.stringify({ base: hub.base, commit, sha256: hub.entry('bench/big-model', 'onnx/model.onnx').sha256, size })}\n`,
  );
}
