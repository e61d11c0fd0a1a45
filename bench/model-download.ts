// `npm run --silent bench -- model-download [--mb 500] [--rounds 2]`
// Model download through the real registry (pin, stream to disk, sha256 while streaming, verify,
// move into place) against `curl` fetching the same file from the same local fake hub, in the same
// run; and the RSS growth of the downloading process (it must stream: < 50 MB for a 500 MB file).
// Also: time from a first /translate to its answer with the tiny fixtures served by the fake hub.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createApp } from '../src/core/app.js';
import { FakeHub, folderFiles } from '../tests/fakes/hub/server.js';

const exec = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const arg = (args: string[], name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};

async function bigFile(mb: number, rounds: number) {
  const hub = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tests/fakes/hub/server.ts'), String(mb)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const info = await new Promise<{ base: string; commit: string; size: number }>((resolve, reject) => {
      hub.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString())));
      hub.once('exit', (code) => reject(new Error(`fake hub exited (${code})`)));
    });
    const url = `${info.base}/bench/big-model/resolve/${info.commit}/onnx/model.onnx`;
    const curls: number[] = [];
    const ours: { ms: number; fileMs: number; baseline: number; peak: number }[] = [];
    // The disk is shared: every measured download starts after `sync` (no dirty pages left from the
    // previous one), and curl and Sinapsis alternate which goes first.
    const curl = async (dir: string) => {
      await exec('sync');
      const t0 = performance.now();
      await exec('curl', ['-sS', '-L', '-o', path.join(dir, 'model.onnx'), url]);
      curls.push(performance.now() - t0);
      if (statSync(path.join(dir, 'model.onnx')).size !== info.size) throw new Error('curl got a short file');
      rmSync(path.join(dir, 'model.onnx'));
    };
    const sinapsis = async (dir: string) => {
      await exec('sync');
      const { stdout } = await exec(
        process.execPath,
        [
          '--expose-gc',
          '--import',
          'tsx',
          path.join(ROOT, 'bench/model-download-worker.ts'),
          info.base,
          path.join(dir, 'cache'),
        ],
        { cwd: ROOT },
      );
      ours.push(JSON.parse(stdout.trim().split('\n').at(-1)!));
      rmSync(path.join(dir, 'cache'), { recursive: true, force: true });
    };
    for (let r = 0; r < rounds; r++) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-bench-'));
      try {
        if (r % 2 === 0) {
          await curl(dir);
          await sinapsis(dir);
        } else {
          await sinapsis(dir);
          await curl(dir);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const mbps = (ms: number) => info.size / 1e6 / (ms / 1000);
    const bestCurl = Math.min(...curls);
    const bestOurs = Math.min(...ours.map((o) => o.ms));
    console.log(
      `download of a ${mb} MiB LFS file from the local fake hub (302 to its CDN), ${rounds} round(s), best of each:`,
    );
    console.log(
      `  curl -L -o:                         ${Math.round(bestCurl)} ms (${mbps(bestCurl).toFixed(0)} MB/s)   all: ${curls.map(Math.round).join(', ')} ms`,
    );
    console.log(
      `  sinapsis registry (pin+hash+verify): ${Math.round(bestOurs)} ms (${mbps(bestOurs).toFixed(0)} MB/s)   all: ${ours.map((o) => Math.round(o.ms)).join(', ')} ms`,
    );
    const bestFile = Math.min(...ours.map((o) => o.fileMs));
    console.log(
      `  the file alone, same streaming code (sha256 verified): ${Math.round(bestFile)} ms (${mbps(bestFile).toFixed(0)} MB/s)   all: ${ours.map((o) => Math.round(o.fileMs)).join(', ')} ms`,
    );
    console.log(
      `  throughput ratio sinapsis/curl: ${(bestCurl / bestFile).toFixed(2)}× for the file (target ≥ 0.8×), ${(bestCurl / bestOurs).toFixed(2)}× for the whole first use (pin + 2 files)`,
    );
    const growth = Math.max(...ours.map((o) => o.peak - o.baseline)) / 1024 / 1024;
    console.log(
      `  RSS growth of the downloading process: ${growth.toFixed(1)} MiB max (baseline ${(ours[0]!.baseline / 1024 / 1024).toFixed(0)} MiB; limit 50 MiB)`,
    );
  } finally {
    hub.kill();
  }
}

async function firstUse() {
  const hub = await new FakeHub().start();
  const fixture = (dir: string) => {
    const f = folderFiles(path.join(ROOT, 'tests/fixtures/models', dir));
    return {
      ...f,
      'onnx/encoder_model_quantized.onnx': f['onnx/encoder_model.onnx']!,
      'onnx/decoder_model_merged_quantized.onnx': f['onnx/decoder_model_merged.onnx']!,
    };
  };
  hub.commit('Xenova/opus-mt-es-en', fixture('marian-tiny-es-en'));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-bench-'));
  const env = { SINAPSIS_DATA_DIR: dataDir, HF_ENDPOINT: hub.base, SINAPSIS_AUTO_DOWNLOAD: 'true' };
  const req = {
    command: 'translate',
    options: { text: 'hola mundo' },
    ctx: { platform: 'bench', userId: 'u', lang: 'es' as const },
  };
  const timed = async (label: string) => {
    const app = createApp(loadConfig(env, { dotenv: false }), { logger: pino({ level: 'silent' }) });
    const t0 = performance.now();
    await app.service.run(req);
    const first = performance.now() - t0;
    const t1 = performance.now();
    await app.service.run(req);
    const warm = performance.now() - t1;
    await app.close();
    console.log(`  ${label}: first request ${Math.round(first)} ms, next request ${Math.round(warm)} ms`);
  };
  console.log('/translate "hola mundo", tiny Marian fixtures (118 kB) served as Xenova/opus-mt-es-en by the fake hub:');
  await timed('fresh install (pin + download + verify + load + translate)');
  await timed('files and lock on disk (load + translate)          ');
  await hub.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

export async function run(args: string[]) {
  await firstUse();
  await bigFile(arg(args, 'mb', 500), arg(args, 'rounds', 2));
}
