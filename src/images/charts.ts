// Small charts for the "looks inside the networks" pictures: bars, grouped bars,
// heat maps and a function plot, drawn as SVG and rendered to PNG by sharp
// (text with the system's sans-serif font, as caption.ts does).
import sharp from 'sharp';
import { escapeXml } from './caption.js';

const FONT = 'font-family="sans-serif"';
const INK = '#111';
const BAR = '#8fb3e0';
const BAR_HIGHLIGHT = '#1f4e8c';

/** Greedy word wrap, so long titles stay inside the picture. */
export function wrap(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

const textEl = (x: number, y: number, s: string, extra = '') =>
  `<text x="${x}" y="${y}" ${FONT} font-size="13" fill="${INK}" ${extra}>${escapeXml(s)}</text>`;

function textBlock(
  lines: string[],
  x: number,
  y: number,
  size = 14,
  weight = 'normal',
): { svg: string; height: number } {
  const svg = lines
    .map(
      (l, i) =>
        `<text x="${x}" y="${y + 16 + i * (size + 4)}" ${FONT} font-size="${size}" font-weight="${weight}" fill="${INK}">${escapeXml(l)}</text>`,
    )
    .join('');
  return { svg, height: lines.length * (size + 4) + 6 };
}

async function render(svg: string, width: number, height: number): Promise<Buffer> {
  const doc = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${svg}</svg>`;
  return sharp(Buffer.from(doc)).flatten({ background: '#ffffff' }).png().toBuffer();
}

/** "42.1 %" (en) or "42,1 %" (es). */
export const percent = (p: number, lang: 'es' | 'en' = 'en') => {
  const s = `${(p * 100).toFixed(p >= 0.1 ? 1 : 2)} %`;
  return lang === 'es' ? s.replace('.', ',') : s;
};

export interface Bar {
  label: string;
  value: number; // 0..1
  highlight?: boolean;
}

/** Groups of horizontal probability bars (0..1), one group per step, each with a heading. */
export function barChartPng(
  title: string,
  groups: { heading: string; bars: Bar[] }[],
  legend: string,
  lang: 'es' | 'en' = 'en',
): Promise<Buffer> {
  const width = 680;
  const labelW = 150;
  const barMax = 400;
  const head = textBlock(wrap(title, 80), 10, 4, 14, 'bold');
  let y = head.height + 4;
  let svg = head.svg;
  for (const g of groups) {
    svg += textEl(10, y + 16, g.heading, 'font-weight="bold"');
    y += 24;
    for (const b of g.bars) {
      const w = Math.max(1, Math.round(b.value * barMax));
      svg += textEl(14, y + 13, b.label);
      svg += `<rect x="${labelW}" y="${y + 2}" width="${w}" height="14" fill="${b.highlight ? BAR_HIGHLIGHT : BAR}"/>`;
      svg += textEl(labelW + w + 6, y + 13, percent(b.value, lang));
      y += 19;
    }
    y += 6;
  }
  const foot = textBlock(wrap(legend, 88), 10, y, 12);
  return render(svg + foot.svg, width, y + foot.height + 4);
}

/** For each row (a token), one bar per series (a temperature), with a legend of the series. */
export function groupedBarsPng(
  title: string,
  series: { name: string; color: string }[],
  rows: { label: string; values: number[] }[],
  legend: string,
  lang: 'es' | 'en' = 'en',
): Promise<Buffer> {
  const width = 680;
  const labelW = 150;
  const barMax = 400;
  const head = textBlock(wrap(title, 80), 10, 4, 14, 'bold');
  let y = head.height + 4;
  let svg = head.svg;
  series.forEach((s, i) => {
    svg +=
      `<rect x="${labelW + i * 130}" y="${y + 2}" width="14" height="14" fill="${s.color}"/>` +
      textEl(labelW + i * 130 + 20, y + 14, s.name);
  });
  y += 26;
  for (const r of rows) {
    svg += textEl(14, y + 12 + ((series.length - 1) * 15) / 2, r.label);
    r.values.forEach((v, i) => {
      const w = Math.max(1, Math.round(v * barMax));
      svg +=
        `<rect x="${labelW}" y="${y + 2}" width="${w}" height="12" fill="${series[i]!.color}"/>` +
        `<text x="${labelW + w + 6}" y="${y + 12}" ${FONT} font-size="11" fill="${INK}">${percent(v, lang)}</text>`;
      y += 15;
    });
    y += 8;
  }
  const foot = textBlock(wrap(legend, 88), 10, y, 12);
  return render(svg + foot.svg, width, y + foot.height + 4);
}

/** One square heat map per panel (values 0..1, white → dark blue), the same labels on both axes. */
export function heatmapsPng(
  title: string,
  panels: { heading: string; matrix: number[][] }[],
  labels: string[],
  legend: string[],
): Promise<Buffer> {
  const n = labels.length;
  const cell = Math.max(10, Math.min(26, Math.floor(260 / Math.max(1, n))));
  const margin = 78; // room for the labels on the left and on top
  const panelW = margin + n * cell + 14;
  const panelH = 20 + margin + n * cell + 10;
  const cols = Math.min(panels.length, Math.max(1, Math.floor(1500 / panelW)), 4);
  const width = Math.max(cols * panelW + 10, 520);
  const head = textBlock(wrap(title, Math.floor(width / 8)), 10, 4, 14, 'bold');
  let svg = head.svg;
  const top0 = head.height + 4;
  const short = labels.map((l) => (l.length > 9 ? `${l.slice(0, 8)}…` : l));
  panels.forEach((p, i) => {
    const x0 = 10 + (i % cols) * panelW;
    const y0 = top0 + Math.floor(i / cols) * panelH;
    const gx = x0 + margin;
    const gy = y0 + 20 + margin;
    svg += textEl(x0 + margin, y0 + 14, p.heading, 'font-weight="bold"');
    short.forEach((l, k) => {
      svg += `<text x="${gx - 4}" y="${gy + k * cell + cell / 2 + 4}" ${FONT} font-size="11" fill="${INK}" text-anchor="end">${escapeXml(l)}</text>`;
      const cx = gx + k * cell + cell / 2 + 4;
      svg += `<text x="${cx}" y="${gy - 4}" ${FONT} font-size="11" fill="${INK}" transform="rotate(-60 ${cx} ${gy - 4})">${escapeXml(l)}</text>`;
    });
    p.matrix.forEach((row, r) => {
      row.forEach((v, c) => {
        const k = Math.max(0, Math.min(1, v));
        const shade = (a: number, b: number) => Math.round(a + (b - a) * k);
        svg += `<rect x="${gx + c * cell}" y="${gy + r * cell}" width="${cell}" height="${cell}" fill="rgb(${shade(255, 16)},${shade(255, 52)},${shade(255, 120)})" stroke="#eee" stroke-width="0.5"/>`;
      });
    });
  });
  const y = top0 + Math.ceil(panels.length / cols) * panelH;
  const foot = textBlock(
    legend.flatMap((l) => wrap(l, Math.floor(width / 7))),
    10,
    y,
    12,
  );
  return render(svg + foot.svg, width, y + foot.height + 4);
}

/** y = f(x) over [x0, x1], with the point (px, f(px)) marked and labelled. */
export function functionPlotPng(
  title: string[],
  f: (x: number) => number,
  x0: number,
  x1: number,
  point: { x: number; y: number; label: string },
): Promise<Buffer> {
  const width = 440;
  const head = textBlock(
    title.flatMap((l) => wrap(l, 48)),
    10,
    4,
    14,
    'bold',
  );
  const plotTop = head.height + 10;
  const w = 360;
  const h = 220;
  const left = 40;
  const xs = Array.from({ length: 201 }, (_, i) => x0 + ((x1 - x0) * i) / 200);
  const ys = xs.map(f);
  let yMin = Math.min(0, ...ys, point.y);
  let yMax = Math.max(1, ...ys, point.y);
  const pad = (yMax - yMin) * 0.08;
  yMin -= pad;
  yMax += pad;
  const sx = (x: number) => left + ((x - x0) / (x1 - x0)) * w;
  const sy = (y: number) => plotTop + h - ((y - yMin) / (yMax - yMin)) * h;
  const path = xs.map((x, i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(ys[i]!).toFixed(1)}`).join(' ');
  const px = Math.max(x0, Math.min(x1, point.x));
  let svg = head.svg;
  svg += `<rect x="${left}" y="${plotTop}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`;
  if (x0 < 0 && x1 > 0) svg += `<line x1="${sx(0)}" y1="${plotTop}" x2="${sx(0)}" y2="${plotTop + h}" stroke="#999"/>`;
  svg += `<line x1="${left}" y1="${sy(0)}" x2="${left + w}" y2="${sy(0)}" stroke="#999"/>`;
  svg += `<path d="${path}" fill="none" stroke="${BAR_HIGHLIGHT}" stroke-width="2.5"/>`;
  svg += `<circle cx="${sx(px)}" cy="${sy(point.y)}" r="6" fill="#e0531f" stroke="#fff" stroke-width="1.5"/>`;
  const tx = sx(px) > left + w / 2 ? sx(px) - 8 : sx(px) + 8;
  svg += `<text x="${tx}" y="${sy(point.y) - 10}" ${FONT} font-size="13" fill="#b3370c" text-anchor="${sx(px) > left + w / 2 ? 'end' : 'start'}">${escapeXml(point.label)}</text>`;
  svg +=
    textEl(left - 4, plotTop + h + 16, String(round2(x0)), 'text-anchor="start"') +
    textEl(left + w, plotTop + h + 16, String(round2(x1)), 'text-anchor="end"');
  svg +=
    textEl(4, sy(yMax - pad) + 4, String(round2(yMax - pad))) +
    textEl(4, sy(yMin + pad) + 4, String(round2(yMin + pad)));
  return render(svg, width, plotTop + h + 26);
}

const round2 = (v: number) => Math.round(v * 100) / 100;
