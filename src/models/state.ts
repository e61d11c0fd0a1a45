import type { Config } from '../config/index.js';
import { locateFile } from './files.js';
import type { Manifest } from './manifest.js';

/**
 * What the server can run at start, for its first log line: each manifest
 * model installed or not (then downloaded on first use only if allowed), and
 * the models set by a setting instead of the manifest. Reads only file paths.
 */
export function modelState(manifest: Manifest, config: Config) {
  const dirs = { local: config.SINAPSIS_MODELS_DIR, cache: config.modelsCache };
  const installed: string[] = [];
  const missing: string[] = [];
  for (const m of manifest.models) (m.files.every((f) => locateFile(dirs, f)) ? installed : missing).push(m.id);
  const overrides = Object.fromEntries(
    Object.entries({ text: config.SINAPSIS_TEXT_MODEL, embedding: config.SINAPSIS_EMBEDDING_MODEL, colorize: config.SINAPSIS_COLORIZE_MODEL }).filter(([, v]) => v),
  );
  return { installed, missing, autoDownload: config.SINAPSIS_AUTO_DOWNLOAD, ...(Object.keys(overrides).length ? { overrides } : {}) };
}
