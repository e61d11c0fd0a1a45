import { cpus } from 'node:os';
import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { COMMANDS } from '../../commands/index.js';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
const optional = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));
const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

// Every setting the product reads; documented one by one in .env.example.
const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SINAPSIS_DATA_DIR: z.string().default('./data'),
  SINAPSIS_MODELS_DIR: optional,
  SINAPSIS_MODELS_CACHE: optional,
  SINAPSIS_MODEL_MIRROR: optional,
  SINAPSIS_AUTO_DOWNLOAD: bool.default(true),
  SINAPSIS_DOWNLOAD_STALL_S: z.coerce.number().positive().default(30),
  SINAPSIS_MODEL_LOAD_TIMEOUT_S: z.coerce.number().positive().default(300),
  HF_ENDPOINT: z.string().url().default('https://huggingface.co'),
  HF_TOKEN: optional,
  SINAPSIS_WARM_MODELS: list,
  SINAPSIS_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(cpus().length || 1),
  SINAPSIS_WORKER_THREADS: bool.default(true),
  SINAPSIS_QUEUE_MAX: z.coerce.number().int().min(1).default(100),
  SINAPSIS_QUEUE_MAX_PER_USER: z.coerce.number().int().min(1).default(5),
  SINAPSIS_JOB_TIMEOUT_S: z.coerce.number().min(1).default(120),
  SINAPSIS_SHUTDOWN_TIMEOUT_S: z.coerce.number().min(0).default(10),
  SINAPSIS_REDIS_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || /^rediss?:\/\//.test(v), 'must start with redis:// or rediss://'),
  SINAPSIS_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .default('sinapsis'),
  SINAPSIS_REDIS_TTL_S: z.coerce.number().int().min(60).default(900),
  SINAPSIS_REDIS_STALL_S: z.coerce.number().min(0.2).default(30),
  SINAPSIS_WORKERS: z.coerce.number().int().min(0).max(64).default(0),
  SINAPSIS_DISCORD_SHARDS: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(1000)]).default('auto'),
  SINAPSIS_WEB_BODY_TIMEOUT_S: z.coerce.number().min(1).default(30),
  SINAPSIS_WEB_KEEPALIVE_S: z.coerce.number().min(1).default(5),
  SINAPSIS_WEB_MAX_UPLOADS: z.coerce.number().int().min(1).default(8),
  SINAPSIS_TRUST_PROXY: z
    .string()
    .optional()
    .transform((v): boolean | number | string[] => {
      const s = (v ?? '').trim();
      if (!s || s === 'false' || s === '0') return false;
      if (s === 'true') return true;
      if (/^\d+$/.test(s)) return Number(s);
      return s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    }),
  SINAPSIS_WEB_COOKIE_ID: bool.default(false),
  SINAPSIS_COOKIE_SECRET: z.string().min(16, 'SINAPSIS_COOKIE_SECRET must be at least 16 characters').optional(),
  SINAPSIS_JOBS_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
  SINAPSIS_DATABASE_URL: optional.refine(
    (v) => v === undefined || /^postgres(ql)?:\/\//.test(v),
    'SINAPSIS_DATABASE_URL must start with postgres://',
  ),
  SINAPSIS_DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(1000).default(10),
  SINAPSIS_ORT_THREADS: z.coerce.number().int().min(0).max(64).optional(),
  SINAPSIS_LOG_INPUTS: bool.default(false),
  SINAPSIS_DISABLED_COMMANDS: list,
  SINAPSIS_ADMIN_COMMAND: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{1,31}$/)
    .default('sinapsis'),
  SINAPSIS_ADMIN_TOKEN: z.string().min(16, 'SINAPSIS_ADMIN_TOKEN must be at least 16 characters').optional(),
  SINAPSIS_TIMEZONE: z
    .string()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'unknown time zone')
    .default('America/Argentina/Buenos_Aires'),
  SINAPSIS_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
  SINAPSIS_BLOCKLIST: list,
  SINAPSIS_TEXT_MODEL: optional,
  SINAPSIS_EMBEDDING_MODEL: optional,
  SINAPSIS_COLORIZE_MODEL: optional,
  SINAPSIS_EXPLAIN_REPHRASE: bool.default(false),
  SINAPSIS_TRANSLATION_MODELS: z
    .string()
    .optional()
    .transform((v) =>
      Object.fromEntries(
        (v ?? '')
          .split(',')
          .map((s) => s.trim().split('='))
          .filter((kv) => kv.length === 2 && kv[0] && kv[1])
          .map(([k, m]) => [k!.trim(), m!.trim()]),
      ),
    ),
  SINAPSIS_DEFAULT_LANGUAGE: z.enum(['es', 'en']).default('es'),
  DISCORD_TOKEN: optional,
  DISCORD_APPLICATION_ID: optional,
  DISCORD_GUILD_ID: optional,
  DISCORD_API_URL: z.string().url().default('https://discord.com/api'),
  DISCORD_CDN_URLS: z
    .string()
    .default('https://cdn.discordapp.com/,https://media.discordapp.net/')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  DISCORD_UPLOAD_LIMIT_MB: z.coerce.number().positive().default(8),
  CHAT_DOWNLOAD_TIMEOUT_S: z.coerce.number().positive().default(15),
  SLACK_BOT_TOKEN: optional,
  SLACK_APP_TOKEN: optional,
  SLACK_SIGNING_SECRET: optional,
  SLACK_ADMIN_USERS: list,
  SLACK_API_URL: z.string().url().default('https://slack.com/api/'),
  SLACK_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  SLACK_FILE_URLS: z
    .string()
    .default('https://files.slack.com/')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  SLACK_IMAGE_WINDOW_MIN: z.coerce.number().positive().default(10),
});

type Raw = z.infer<typeof schema>;
export interface Config extends Raw {
  /** onnxruntime intra-op threads per session; unset: the cores shared out between the jobs running at once. */
  SINAPSIS_ORT_THREADS: number;
  dataDir: string;
  modelsCache: string;
  /** The model settings the commands name (`spec.models.uses[].setting`), by setting, when set. */
  modelSettings: Record<string, string>;
}

/** Every model setting a command's spec names (SINAPSIS_TEXT_MODEL, ...), read from the environment. */
function modelSettings(given: Record<string, string | undefined>): Record<string, string> {
  const names = new Set(COMMANDS.flatMap((c) => c.models?.uses ?? []).flatMap((u) => (u.setting ? [u.setting] : [])));
  return Object.fromEntries([...names].flatMap((n) => (given[n]?.trim() ? [[n, given[n]!.trim()]] : [])));
}

/** Reads `.env` (if any) under the real environment, validates, and resolves paths. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: { dotenv?: boolean } = {}): Config {
  if (opts.dotenv !== false) loadDotenv({ quiet: true });
  // `PORT=` in a copied .env means "not set", not zero.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid settings (see .env.example):\n${lines.join('\n')}`);
  }
  const raw = parsed.data;
  const dataDir = path.resolve(raw.SINAPSIS_DATA_DIR);
  return {
    ...raw,
    // Measured on 2 cores (bench -- discord-load, .env.example): one ORT thread per running job beat
    // oversubscribing the cores (2 jobs × 2 threads) and one job with both cores.
    SINAPSIS_ORT_THREADS:
      raw.SINAPSIS_ORT_THREADS ?? Math.max(1, Math.floor((cpus().length || 1) / raw.SINAPSIS_CONCURRENCY)),
    dataDir,
    modelsCache: path.resolve(raw.SINAPSIS_MODELS_CACHE ?? path.join(dataDir, 'models')),
    modelSettings: modelSettings(given),
  };
}
