import { readFileSync } from 'node:fs';
import path from 'node:path';

export type Box = [number, number, number, number];

/** dlib's imglab XML (`<image file><box top left width height/>`) → boxes per image path. */
export function readDlibBoxes(dir: string, files: string[]): Map<string, Box[]> {
  const out = new Map<string, Box[]>();
  for (const f of files) {
    const xml = readFileSync(path.join(dir, f), 'utf8');
    for (const m of xml.matchAll(/<image file='([^']+)'[^>]*>([\s\S]*?)<\/image>/g)) {
      const boxes = [...m[2]!.matchAll(/<box top='(\d+)' left='(\d+)' width='(\d+)' height='(\d+)'/g)].map(
        (b) => [Number(b[2]), Number(b[1]), Number(b[3]), Number(b[4])] as Box,
      );
      out.set(path.join(dir, m[1]!), boxes);
    }
  }
  return out;
}

export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a[0], b[0]);
  const y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y2 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

/** Greedy one-to-one matching, best detections first; returns true positives. */
export function matchCount(truth: Box[], found: { box: Box; score: number }[], threshold: number): number {
  const used = new Set<number>();
  let tp = 0;
  for (const d of [...found].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestIou = threshold;
    truth.forEach((t, i) => {
      const v = iou(t, d.box);
      if (!used.has(i) && v >= bestIou) {
        best = i;
        bestIou = v;
      }
    });
    if (best >= 0) {
      used.add(best);
      tp++;
    }
  }
  return tp;
}
