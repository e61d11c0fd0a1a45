import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const relPath = z.string().regex(/^[\w.-]+(\/[\w.-]+)*$/, 'relative path without ..');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** A file outside the hub (e.g. a GitHub release): its sha256 in the manifest decides. */
const urlFileSchema = z.object({
  path: relPath,
  url: z.string().url(),
  sha256,
  /** Bytes; optional where the publisher states only a rounded size (the sha256 still decides). */
  size: z.number().int().positive().optional(),
});
/**
 * A file of a hub model: only its path inside the repo is needed; the hub's
 * listing at the pinned commit (or models/models.lock.json) gives its hash.
 * `sha256`/`size` here are hints read from publishers' pages: a hub listing
 * that disagrees is reported loudly but is not blocked by them.
 */
const hubFileSchema = z.object({
  path: relPath,
  sha256: sha256.optional(),
  size: z.number().int().positive().optional(),
});

export const HUB_REPO = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;
const hubSchema = z.object({
  repo: z.string().regex(HUB_REPO, 'org/name'),
  /** A 40-hex commit (immutable) or a branch/tag, resolved to a commit on first use and locked. */
  revision: z.string().min(1).default('main'),
  files: z.array(hubFileSchema).min(1),
});

const modelSchema = z
  .object({
    id: z.string(),
    task: z.string(),
    runtime: z.enum(['onnxruntime', 'transformers']),
    description: z.string(),
    licence: z.string(),
    source: z.string().url(),
    paper: z.string().optional(),
    /** Folder of this model inside SINAPSIS_MODELS_DIR (offline copies); defaults to the id. */
    folder: z.string().optional(),
    dtype: z.enum(['fp32', 'fp16', 'q8', 'q4', 'q4f16']).optional(),
    /** transformers.js models: the pipeline to load ("text-classification"...), when the task's name is not one. */
    pipeline: z.string().optional(),
    /** Translation models: the language pair they translate, e.g. ["es", "en"]. */
    pair: z.tuple([z.string(), z.string()]).optional(),
    /** Embedding models: text put before queries and passages (E5's "query: " / "passage: " when absent). */
    prefixes: z.object({ query: z.string(), passage: z.string() }).optional(),
    /** Colorizers: what the network takes, "grey-rgb" (DDColor: [1,3,H,W] grey in 0..1) or "lightness" (Zhang: [1,1,H,W] L 0..100). */
    input: z.enum(['grey-rgb', 'lightness']).optional(),
    /** Non-hub files, each with its sha256 (paths relative to SINAPSIS_MODELS_DIR / the cache). */
    files: z.array(urlFileSchema).min(1).optional(),
    /** A Hugging Face hub model pinned by commit. */
    hub: hubSchema.optional(),
    /** Rough download size in MB from the publisher's page, shown before the first lock gives exact sizes. */
    approxMB: z.number().positive().optional(),
    why: z.string().optional(),
  })
  .refine((m) => Boolean(m.files) !== Boolean(m.hub), 'a model has either "files" (with sha256) or "hub"');
const manifestSchema = z.object({ $comment: z.string().optional(), models: z.array(modelSchema) });

export type UrlFile = z.infer<typeof urlFileSchema>;
/** Kept for callers of the non-hub download path. */
export type ModelFile = UrlFile;
export type HubFile = z.infer<typeof hubFileSchema>;
export type ModelEntry = z.infer<typeof modelSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

export const DEFAULT_MANIFEST_PATH = fileURLToPath(new URL('../../models/manifest.json', import.meta.url));

export function readManifest(file = DEFAULT_MANIFEST_PATH): Manifest {
  return manifestSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

export function findModel(manifest: Manifest, id: string): ModelEntry {
  const m = manifest.models.find((x) => x.id === id);
  if (!m) throw new Error(`Model "${id}" is not in the manifest`);
  return m;
}

/** The default model for a task: the first manifest entry that serves it. */
export function modelForTask(manifest: Manifest, task: string): ModelEntry {
  const m = manifest.models.find((x) => x.task === task);
  if (!m) throw new Error(`No model in the manifest serves task "${task}"`);
  return m;
}

/** `org/name[@revision]`: a hub model named by an admin (--model, settings), or undefined. */
export function parseHubRef(ref: string): { repo: string; revision: string } | undefined {
  const m = /^([A-Za-z0-9][\w.-]*\/[\w.-]+)(?:@([\w./-]+))?$/.exec(ref);
  if (!m || ref.startsWith('.') || ref.startsWith('/')) return undefined;
  return { repo: m[1]!, revision: m[2] ?? 'main' };
}
