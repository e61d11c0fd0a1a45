// `npm run --silent cli -- <command> [--option value ...] [--json]`: one request
// through the same service as the bot; with --json, exactly one JSON document on stdout.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { adminSpec, COMMANDS, findCommand } from '../../../commands/index.js';
import { loadConfig, type Config } from '../../config/index.js';
import { createApp } from '../../core/app.js';
import { StoreUnreachableError } from '../../store/pg-client.js';
import { asSinapsisError, errorBody, SinapsisError } from '../../errors.js';
import { langOf, type Lang } from '../../i18n/locale.js';
import { findSample, readSample, SAMPLES } from '../../samples/index.js';
import { parseArgs, splitImageFlags, type CliArgs } from './args.js';
import { describeAvailability, modelStatusRows } from '../../core/availability.js';
import { t } from '../../i18n/messages.js';
import type { DownloadProgress } from '../../models/progress.js';
import { Presets, SingleBar } from 'cli-progress';
import { adminHelpText, helpText } from './help.js';

const USAGE_ERRORS = new Set(['unknown_command', 'unknown_option', 'missing_option', 'invalid_option']);

function readImage(file: string, maxBytes: number): Buffer {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new SinapsisError(
      'invalid_option',
      { option: 'image', expected: `a readable file (${file} not found)` },
      { cause: err },
    );
  }
  // Refuse before reading: the same cap the web and chat adapters enforce on uploads.
  if (size > maxBytes) throw new SinapsisError('upload_too_large', { limit: Math.round(maxBytes / 1024 / 1024) });
  return readFileSync(file);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  const lang: Lang = langOf(args.lang ?? process.env.LC_ALL ?? process.env.LANG, config.SINAPSIS_DEFAULT_LANGUAGE);
  const fail = (e: SinapsisError) => {
    if (args.json) process.stdout.write(`${JSON.stringify(errorBody(e, lang))}\n`);
    else process.stderr.write(`${e.localized(lang)}\n`);
    return USAGE_ERRORS.has(e.code) ? 2 : 1;
  };

  if (args.command === 'admin') return admin(args, config, lang, fail);
  if (args.command === 'models') return modelsCommand(args, config, lang);
  const spec = args.command ? findCommand(args.command) : undefined;
  if (args.help || !args.command) {
    process.stdout.write(`${helpText(lang, spec)}\n`);
    return args.command && !spec ? 2 : 0;
  }
  if (args.positionals.length) {
    return fail(
      new SinapsisError('unknown_option', {
        option: args.positionals[0]!,
        command: args.command,
        valid: spec?.options.map((o) => o.name).join(', ') ?? '',
      }),
    );
  }
  if (!spec) {
    return fail(
      new SinapsisError('unknown_command', { name: args.command, available: COMMANDS.map((c) => c.name).join(', ') }),
    );
  }

  // Logs go to stderr so stdout carries only the answer.
  const app = createApp(config, {
    logger: pino({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL }, pino.destination(2)),
  });
  await app.stores.ready();
  try {
    const { imagePaths, raw } = splitImageFlags(spec, args.options);
    const images: Record<string, Buffer> = {};
    for (const [name, file] of Object.entries(imagePaths)) {
      const o = spec.options.find((x) => x.name === name);
      images[name] = readImage(file, o?.type === 'image' ? o.maxBytes : 0);
    }
    if (args.sample !== undefined) {
      // A shipped photo for the command's (first) photo option, for trying it without one of your own.
      const photo = spec.options.find((o) => o.type === 'image');
      const sample = findSample(args.sample);
      if (!photo || !sample)
        throw new SinapsisError('invalid_option', {
          option: 'sample',
          expected: photo ? `one of ${SAMPLES.map((x) => x.id).join(', ')}` : `nothing: ${spec.name} takes no photo`,
        });
      images[photo.name] ??= readSample(sample.id)!;
    }
    const bar = downloadBar(lang);
    const result = await app.service
      .run(
        {
          command: spec.name,
          options: raw,
          images,
          ctx: {
            platform: 'cli',
            ...context(args),
            lang,
            langSource: args.lang ? 'platform' : 'default',
            model: args.model,
          },
        },
        { onProgress: (p) => p.kind === 'download' && bar.update(p) },
      )
      .finally(() => bar.stop());
    const written: string[] = [];
    if (result.images.length) mkdirSync(args.out, { recursive: true });
    for (const img of result.images) {
      const file = path.resolve(args.out, `${path.parse(img.name).name}-${Date.now()}${path.extname(img.name)}`);
      writeFileSync(file, img.data);
      written.push(file);
    }
    if (args.json) {
      // The task's own fields win: generate-text's `text` is the generation alone, without the footer.
      const doc = {
        text: result.text,
        ...result.data,
        ...(written.length ? { image: written[0], images: written } : {}),
        model: result.model,
        timings: result.timings,
      };
      process.stdout.write(`${JSON.stringify(doc)}\n`);
    } else {
      process.stdout.write(`${result.text}\n${written.map((f) => `→ ${f}`).join('\n')}${written.length ? '\n' : ''}`);
    }
    return 0;
  } catch (err) {
    const e = asSinapsisError(err);
    if (e.code === 'internal') app.logger.error({ err: e.cause ?? e }, 'command failed');
    return fail(e);
  } finally {
    await app.close();
  }
}

/** A model download shown on stderr (stdout keeps only the answer). */
function downloadBar(lang: Lang) {
  let bar: SingleBar | undefined;
  return {
    update(p: DownloadProgress) {
      if (!bar) {
        const label = t(lang, 'downloading_model', {
          task: p.task,
          mb: Math.max(1, Math.round(p.total / 1e6)),
          percent: '{percentage}',
        }).replace(/: \{percentage\} %…$/, '');
        bar = new SingleBar(
          { format: `${label} [{bar}] {percentage} %`, stream: process.stderr, hideCursor: true },
          Presets.shades_classic,
        );
        bar.start(p.total, p.bytes);
      }
      bar.update(p.bytes);
    },
    stop() {
      bar?.stop();
    },
  };
}

/** `models status [--json]`: per command, its model and state (the same lines `npm start` logs). */
async function modelsCommand(args: CliArgs, config: Config, lang: Lang): Promise<number> {
  const [sub] = args.positionals;
  if (sub !== 'status') {
    process.stderr.write(
      'Usage: models status [--json]   (downloads: npm run models:pull [-- <id>…]; pinning: npm run models:lock)\n',
    );
    return 2;
  }
  const app = createApp(config, { logger: pino({ level: 'warn' }, pino.destination(2)) });
  await app.stores.ready();
  try {
    const rows = modelStatusRows(app.service.availability());
    if (args.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
    else {
      for (const a of app.service.availability()) {
        process.stdout.write(`/${a.command}: ${describeAvailability(a, lang)}\n`);
        for (const m of a.models)
          process.stdout.write(
            `  ${m.model}${m.repo ? ` (${m.repo}@${m.commit ?? '?'})` : ''}: ${m.state}${m.bytes ? `, ${m.bytes < 1e6 ? '<1' : Math.round(m.bytes / 1e6)} MB` : ''}${m.locked_by ? `, locked by ${m.locked_by}` : ''}${m.warnings?.length ? `, WARNING: ${m.warnings.join('; ')}` : ''}\n`,
          );
      }
    }
    return 0;
  } finally {
    await app.close();
  }
}

/** The CLI speaks for whoever runs it on the server: its --user (else $USER), and an operator for admin commands. */
function context(args: CliArgs) {
  const { userId, ...where } = args.context;
  return { userId: userId ?? process.env.USER ?? 'cli', ...where, isAdmin: true };
}

/** `admin <subcommand> [first option] [--option value ...]`: the moderators' command, same rules as in chat. */
async function admin(args: CliArgs, config: Config, lang: Lang, fail: (e: SinapsisError) => number): Promise<number> {
  const spec = adminSpec(config.SINAPSIS_ADMIN_COMMAND);
  const [sub, first, ...extra] = args.positionals;
  if (args.help || !sub) {
    process.stdout.write(`${adminHelpText(lang, spec)}\n`);
    return sub || args.help ? 0 : 2;
  }
  const app = createApp(config, { logger: pino({ level: 'warn' }, pino.destination(2)) });
  await app.stores.ready();
  try {
    const subSpec = spec.subcommands.find((s) => s.name === sub);
    const options: Record<string, unknown> = { ...args.options };
    // The first word after the subcommand fills its first option: `admin disable detect-faces`.
    if (first !== undefined && subSpec?.options[0]) options[subSpec.options[0].name] = first;
    if (extra.length)
      throw new SinapsisError('unknown_option', {
        option: extra[0]!,
        command: `admin ${sub}`,
        valid: subSpec?.options.map((o) => o.name).join(', ') ?? '',
      });
    const result = await app.service.admin({ sub, options, ctx: { platform: 'cli', ...context(args), lang } });
    process.stdout.write(
      args.json ? `${JSON.stringify({ ok: true, text: result.text, ...result.data })}\n` : `${result.text}\n`,
    );
    return 0;
  } catch (err) {
    return fail(asSinapsisError(err));
  } finally {
    await app.close();
  }
}

process.exitCode = await main().catch((err) => {
  // PostgreSQL (SINAPSIS_DATABASE_URL) unreachable: one line naming the setting, no stack trace.
  if (!(err instanceof StoreUnreachableError)) throw err;
  process.stderr.write(`${err.message}\n`);
  return 1;
});
