import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const fileSchema = z.object({
  path: z.string().regex(/^[\w.-]+(\/[\w.-]+)*$/, 'relative path without ..'),
  url: z.string().url(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().positive(),
});
const modelSchema = z.object({
  id: z.string(),
  task: z.string(),
  runtime: z.enum(['onnxruntime', 'transformers']),
  description: z.string(),
  licence: z.string(),
  source: z.string().url(),
  paper: z.string().optional(),
  /** transformers.js models: the model's root folder (relative, like file paths) and weight type. */
  folder: z.string().optional(),
  dtype: z.enum(['fp32', 'fp16', 'q8', 'q4', 'q4f16']).optional(),
  /** Translation models: the language pair they translate, e.g. ["es", "en"]. */
  pair: z.tuple([z.string(), z.string()]).optional(),
  /** Embedding models: text put before queries and passages (E5's "query: " / "passage: " when absent). */
  prefixes: z.object({ query: z.string(), passage: z.string() }).optional(),
  files: z.array(fileSchema).min(1),
});
/**
 * A chosen default whose files could not be fetched to pin them: the same
 * fields, files without sha256/size. `npm run models:pin` (with internet)
 * downloads them, records their checksums and moves the entry to `models`.
 * The product never downloads a pending entry.
 */
const pendingSchema = modelSchema.extend({
  files: z.array(fileSchema.pick({ path: true, url: true })),
  why: z.string().optional(),
  blocked: z.string(),
});
const manifestSchema = z.object({ $comment: z.string().optional(), models: z.array(modelSchema), pending: z.array(pendingSchema).default([]) });

export type ModelFile = z.infer<typeof fileSchema>;
export type ModelEntry = z.infer<typeof modelSchema>;
export type PendingEntry = z.infer<typeof pendingSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

export const DEFAULT_MANIFEST_PATH = fileURLToPath(new URL('../../models/manifest.json', import.meta.url));

export function readManifest(file = DEFAULT_MANIFEST_PATH): Manifest {
  return manifestSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

export function writeManifest(manifest: Manifest, file = DEFAULT_MANIFEST_PATH): void {
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
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
