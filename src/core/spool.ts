import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ImageInputs } from './options.js';

/**
 * Uploaded images of accepted web jobs, kept as files under the data dir until the job settles,
 * so that a job interrupted by a crash can be re-run after the restart. Nothing else refers to the
 * bytes; the database only holds the file name.
 */
export class ImageSpool {
  constructor(private readonly dir: string) {}

  /** Writes each image; returns the references to keep with the job. */
  keep(jobId: string, images: ImageInputs): Record<string, Record<string, unknown>> {
    const refs: Record<string, Record<string, unknown>> = {};
    if (!Object.keys(images).length) return refs;
    mkdirSync(this.dir, { recursive: true });
    for (const [name, data] of Object.entries(images)) {
      const file = `${jobId}-${name.replace(/[^\w-]/g, '_')}`;
      writeFileSync(path.join(this.dir, file), data);
      refs[name] = { file };
    }
    return refs;
  }

  /** The bytes of every `{ file }` reference (others belong to the adapter). Throws when one is gone. */
  load(refs: Record<string, Record<string, unknown>> | undefined): ImageInputs {
    const out: ImageInputs = {};
    for (const [name, ref] of Object.entries(refs ?? {})) {
      if (typeof ref.file === 'string') out[name] = readFileSync(path.join(this.dir, path.basename(ref.file)));
    }
    return out;
  }

  drop(refs: Record<string, Record<string, unknown>> | undefined): void {
    for (const ref of Object.values(refs ?? {})) {
      if (typeof ref.file === 'string') rmSync(path.join(this.dir, path.basename(ref.file)), { force: true });
    }
  }
}
