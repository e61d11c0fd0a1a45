import path from 'node:path';
import type { Config } from '../config/index.js';
import { COMMANDS } from '../../commands/index.js';
import { readManifest } from './manifest.js';
import { ModelRegistry } from './registry.js';

/** The registry every entry point (server, CLI, models:pull) builds from the settings. */
export function registryFromConfig(
  config: Config,
  log: { info(extra: object, msg: string): void; warn(extra: object, msg: string): void },
): ModelRegistry {
  return new ModelRegistry(readManifest(), {
    dirs: { local: config.SINAPSIS_MODELS_DIR, cache: config.modelsCache },
    autoDownload: config.SINAPSIS_AUTO_DOWNLOAD,
    mirror: config.SINAPSIS_MODEL_MIRROR,
    hub: { endpoint: config.HF_ENDPOINT, token: config.HF_TOKEN },
    lockFile: path.join(config.dataDir, 'models.lock.json'),
    stallMs: config.SINAPSIS_DOWNLOAD_STALL_S * 1000,
    loadTimeoutMs: config.SINAPSIS_MODEL_LOAD_TIMEOUT_S * 1000,
    ortThreads: config.SINAPSIS_ORT_THREADS,
    settings: modelSettingsByTask(config),
    translationModels: config.SINAPSIS_TRANSLATION_MODELS,
    log: (msg, extra) => log.info(extra ?? {}, msg),
    warn: (msg, extra) => log.warn(extra ?? {}, msg),
  });
}

/** Each manifest task's model as the administrator set it, through the setting its command's spec names. */
export function modelSettingsByTask(config: Pick<Config, 'modelSettings'>): Record<string, string> {
  const uses = COMMANDS.flatMap((c) => c.models?.uses ?? []);
  return Object.fromEntries(
    uses.flatMap((u) =>
      u.setting && config.modelSettings[u.setting] ? [[u.task, config.modelSettings[u.setting]!]] : [],
    ),
  );
}
