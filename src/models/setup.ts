import path from 'node:path';
import type { Config } from '../config/index.js';
import { readManifest } from './manifest.js';
import { ModelRegistry } from './registry.js';

/** The registry every entry point (server, CLI, models:pull) builds from the settings. */
export function registryFromConfig(config: Config, log: { info(extra: object, msg: string): void; warn(extra: object, msg: string): void }): ModelRegistry {
  return new ModelRegistry(readManifest(), {
    dirs: { local: config.SINAPSIS_MODELS_DIR, cache: config.modelsCache },
    autoDownload: config.SINAPSIS_AUTO_DOWNLOAD,
    mirror: config.SINAPSIS_MODEL_MIRROR,
    hub: { endpoint: config.HF_ENDPOINT, token: config.HF_TOKEN },
    lockFile: path.join(config.dataDir, 'models.lock.json'),
    stallMs: config.SINAPSIS_DOWNLOAD_STALL_S * 1000,
    loadTimeoutMs: config.SINAPSIS_MODEL_LOAD_TIMEOUT_S * 1000,
    ortThreads: config.SINAPSIS_ORT_THREADS,
    textModel: config.SINAPSIS_TEXT_MODEL,
    embeddingModel: config.SINAPSIS_EMBEDDING_MODEL,
    colorizeModel: config.SINAPSIS_COLORIZE_MODEL,
    translationModels: config.SINAPSIS_TRANSLATION_MODELS,
    log: (msg, extra) => log.info(extra ?? {}, msg),
    warn: (msg, extra) => log.warn(extra ?? {}, msg),
  });
}
