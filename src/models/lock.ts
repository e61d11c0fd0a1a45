import { threadId } from 'node:worker_threads';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const lockedFileSchema = z.object({
  path: z.string().regex(/^[\w.-]+(\/[\w.-]+)*$/),
  size: z.number().int().nonnegative(),
  /** LFS files: the sha256 the hub states (tree `lfs.oid`, `X-Linked-Etag`). */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** Small files kept in git: the git blob sha1 (tree `oid`, `ETag`) = sha1("blob <len>\0" + bytes). */
  sha1: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .optional(),
});
const lockedModelSchema = z.object({
  repo: z.string(),
  /** What was asked for (a branch, tag or commit) when it was locked. */
  revision: z.string(),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  files: z.array(lockedFileSchema),
  licence: z.string().optional(),
  lockedAt: z.string().optional(),
  /** Manifest hints the hub's listing contradicted (reported, not blocking). */
  hintMismatches: z.array(z.string()).optional(),
});
const lockSchema = z.object({
  $comment: z.string().optional(),
  version: z.literal(1),
  models: z.record(z.string(), lockedModelSchema),
});

export type LockedFile = z.infer<typeof lockedFileSchema>;
export type LockedModel = z.infer<typeof lockedModelSchema>;
export type LockFile = z.infer<typeof lockSchema>;
export type LockedBy = 'repo' | 'first-use';

export const COMMITTED_LOCK_PATH = fileURLToPath(new URL('../../models/models.lock.json', import.meta.url));
const COMMENT =
  'Hub models pinned by commit with the hashes the hub states for each file (sha256 of LFS files, git blob sha1 of small ones). Written by `npm run models:lock`; downloads are verified against it.';

export function readLock(file: string): LockFile {
  if (!existsSync(file)) return { version: 1, models: {} };
  return lockSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Written to a temporary file and renamed, so a crash never leaves half a lock. */
export function writeLock(file: string, lock: LockFile): void {
  mkdirSync(path.dirname(file), { recursive: true });
  // Per thread too: worker threads of one process may write at the same time.
  const tmp = `${file}.${process.pid}.${threadId}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ $comment: COMMENT, ...lock, version: 1 }, null, 2)}\n`);
  renameSync(tmp, file);
}

/**
 * The committed lock (maintainers, `npm run models:lock`) wins over the data
 * dir's trust-on-first-use lock; a key is a manifest id or `org/name@revision`.
 */
export class Locks {
  private committed: LockFile;
  private local: LockFile;

  constructor(
    committedFile: string | undefined,
    private readonly localFile: string,
  ) {
    this.committed = committedFile ? readLock(committedFile) : { version: 1, models: {} };
    this.local = readLock(localFile);
  }

  /** A lock for this repo and revision; a first-use lock made for another revision (the manifest moved on) no longer counts. */
  get(key: string, repo: string, revision?: string): { model: LockedModel; lockedBy: LockedBy } | undefined {
    const c = this.committed.models[key];
    if (c && c.repo === repo) return { model: c, lockedBy: 'repo' };
    const l = this.local.models[key];
    if (l && l.repo === repo && (revision === undefined || l.revision === revision || l.commit === revision))
      return { model: l, lockedBy: 'first-use' };
    return undefined;
  }

  /** Reads the data dir's lock again: another thread or process may have pinned a model meanwhile. */
  reload(): void {
    this.local = readLock(this.localFile);
  }

  /** Records a first-use resolution in the data dir's lock. */
  remember(key: string, model: LockedModel): void {
    // Re-read first: another process (the CLI next to the bot) may have written its own entries.
    this.local = readLock(this.localFile);
    this.local.models[key] = model;
    writeLock(this.localFile, this.local);
  }
}
