// /colorize latency for 256, 512 and 1024-pixel photos (long side) through the task, against
// DDColor's reference pre/post-processing in OpenCV (bench/peer_opencv_colorize.py) on the same
// files and the same network (the fixture, or SINAPSIS_COLORIZE_MODEL when set), interleaved;
// peak RSS; and the /explain pictures (3×3 filters, YuNet's first layer) on a photo.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { testApp } from '../tests/helpers/app.js';
import { median, round } from './lib/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PEER_PYTHON = process.env.PEER_PYTHON ?? '/usr/bin/python3';

export async function run(args: string[]) {
  const rounds = Number(args[args.indexOf('--rounds') + 1]) || 8;
  const model = path.resolve(
    process.env.SINAPSIS_COLORIZE_MODEL ??
      path.join(ROOT, 'tests/fixtures/models/colorizer-tiny/colorizer-tiny-512.onnx'),
  );
  const modelsDir = path.resolve(process.env.SINAPSIS_MODELS_DIR ?? path.join(ROOT, '../shared/models'));
  const photo = path.join(modelsDir, '../data/faces-dlib/2008_001009.jpg');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-bench-colorize-'));
  const files: Record<number, string> = {};
  for (const side of [256, 512, 1024]) {
    files[side] = path.join(tmp, `photo-${side}.jpg`);
    writeFileSync(
      files[side],
      await sharp(photo).resize(side, side, { fit: 'inside' }).jpeg({ quality: 92 }).toBuffer(),
    );
  }
  const app = testApp({ SINAPSIS_COLORIZE_MODEL: model, SINAPSIS_MODELS_DIR: modelsDir });
  const colorize = (file: string) =>
    app.service.run({
      command: 'colorize',
      options: {},
      images: { image: readFileSync(file) },
      ctx: { platform: 'bench', userId: 'b', lang: 'es' },
    });
  let t = performance.now();
  await colorize(files[512]!);
  const firstMs = performance.now() - t;

  const ours: Record<number, { total: number[]; network: number[]; own: number[]; compose: number[] }> = {};
  const peer: Record<number, { total: number[]; network: number[]; own: number[] }> = {};
  const runPeer = (n: number) => {
    const r = spawnSync(PEER_PYTHON, [path.join(ROOT, 'bench/peer_opencv_colorize.py')], {
      input: JSON.stringify({ model, images: Object.values(files), rounds: n, size: 512 }),
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`OpenCV peer failed:\n${r.stderr}`);
    const doc = JSON.parse(r.stdout);
    for (const [side, file] of Object.entries(files)) {
      const p = (peer[Number(side)] ??= { total: [], network: [], own: [] });
      p.total.push(...doc.total_ms[file]);
      p.network.push(...doc.network_ms[file]);
      p.own.push(...(doc.total_ms[file] as number[]).map((v, i) => v - doc.network_ms[file][i]));
    }
    return { opencv: doc.opencv, threads: doc.threads };
  };
  const runOurs = async (n: number) => {
    for (let i = 0; i < n; i++) {
      for (const [side, file] of Object.entries(files)) {
        const r = await colorize(file);
        const o = (ours[Number(side)] ??= { total: [], network: [], own: [], compose: [] });
        o.total.push(r.timings.totalMs!);
        o.network.push(r.timings.inferenceMs!);
        // Our own work around the network, as the peer does it (decode → colorized picture); the comparison picture apart.
        o.own.push(r.timings.totalMs! - r.timings.inferenceMs! - r.timings.composeMs!);
        o.compose.push(r.timings.composeMs!);
      }
    }
  };
  const half = Math.max(1, Math.floor(rounds / 2));
  await runOurs(half);
  const peerInfo = runPeer(half);
  await runOurs(rounds - half);
  runPeer(rounds - half);

  t = performance.now();
  const explain = await app.service.run({
    command: 'explain',
    options: { topic: 'convolución' },
    images: { image: readFileSync(photo) },
    ctx: { platform: 'bench', userId: 'b', lang: 'es' },
  });
  const explainMs = performance.now() - t;
  const explainTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    await app.service.run({
      command: 'explain',
      options: { topic: 'convolución' },
      images: { image: readFileSync(photo) },
      ctx: { platform: 'bench', userId: 'b', lang: 'es' },
    });
    explainTimes.push(performance.now() - t);
  }
  await app.dispose();
  rmSync(tmp, { recursive: true, force: true });

  const rows = Object.fromEntries(
    [256, 512, 1024].map((side) => [
      side,
      {
        ours_ms: round(median(ours[side]!.total)),
        ours_network_ms: round(median(ours[side]!.network)),
        ours_own_ms: round(median(ours[side]!.own)),
        ours_compose_ms: round(median(ours[side]!.compose)),
        peer_ms: round(median(peer[side]!.total)),
        peer_network_ms: round(median(peer[side]!.network)),
        peer_own_ms: round(median(peer[side]!.own)),
        // Decode → colorized picture around the network, ours vs the peer's (the measure).
        own_ratio: round(median(ours[side]!.own) / median(peer[side]!.own), 2),
        // Everything, comparison picture included, vs the peer's whole pipeline.
        ratio: round(median(ours[side]!.total) / median(peer[side]!.total), 2),
      },
    ]),
  );
  console.log(
    JSON.stringify(
      {
        model: path.basename(model),
        rounds,
        first_call_incl_load_ms: round(firstMs),
        peer: peerInfo,
        by_long_side: rows,
      },
      null,
      2,
    ),
  );
  console.log(
    JSON.stringify({
      colorize_own_ratio_256: rows[256]!.own_ratio,
      colorize_own_ratio_512: rows[512]!.own_ratio,
      colorize_own_ratio_1024: rows[1024]!.own_ratio,
      colorize_ratio_256: rows[256]!.ratio,
      colorize_ratio_512: rows[512]!.ratio,
      colorize_ratio_1024: rows[1024]!.ratio,
      peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
      explain_pictures: explain.images.length,
      explain_first_ms: round(explainMs),
      explain_median_ms: round(median(explainTimes)),
    }),
  );
}
