import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import colorizeSpec from '../../commands/colorize.js';
import { t } from '../i18n/messages.js';
import type { Lang } from '../i18n/locale.js';
import { caption, CAPTION_H } from '../images/caption.js';
import { MAX_OUTPUT_SIDE } from '../images/draw.js';
import { decodeOrRefuse, inspectImage, openImage } from '../images/load.js';
import { greyOf, greyRgb, labToRgb, rgbToLab } from '../images/lab.js';
import type { ResultImage, Task } from './types.js';

const imageLimits = colorizeSpec.options.find((o) => o.name === 'image')!;
/** DDColor's export size, used when the model does not declare a fixed one. */
const DEFAULT_INPUT = 512;
const PANEL_H = 320;
/** Mean chroma (√(a²+b²)) above which a photo counts as a colour photo (greys and sepias sit well below). */
const COLOUR_CHROMA = 6;

/** Bilinear resize of one float plane (pixel centres aligned, like OpenCV's INTER_LINEAR). */
export function resizePlane(src: Float32Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh);
  const sx = sw / dw;
  const sy = sh / dh;
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = fx - x0;
      const top = src[y0 * sw + x0]! * (1 - wx) + src[y0 * sw + x1]! * wx;
      const bottom = src[y1 * sw + x0]! * (1 - wx) + src[y1 * sw + x1]! * wx;
      out[y * dw + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/**
 * The network's input: only the lightness of the photo, as grey RGB in 0..1
 * (how DDColor was trained) or as L of Lab in 0..100 on one channel (Zhang et al.).
 */
function greyInput(rgb: Uint8Array, channels: number, width: number, height: number, kind: 'grey-rgb' | 'lightness'): ort.Tensor {
  const plane = width * height;
  if (kind === 'lightness') return new ort.Tensor('float32', Float32Array.from(rgbToLab(rgb, plane, channels).L), [1, 1, height, width]);
  const grey = greyOf(rgb, plane, channels);
  const data = new Float32Array(3 * plane);
  data.set(grey, 0);
  data.set(grey, plane);
  data.set(grey, 2 * plane);
  return new ort.Tensor('float32', data, [1, 3, height, width]);
}

const rawImage = (rgb: Uint8Array, width: number, height: number) => sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } });

/** Panels side by side at one height, each captioned underneath. */
async function beforeAfter(panels: { rgb: Uint8Array; label: string }[], width: number, height: number, footer: string): Promise<Buffer> {
  const h = Math.min(PANEL_H, height);
  const w = Math.max(1, Math.round((width * h) / height));
  const gap = 6;
  const total = panels.length * w + (panels.length - 1) * gap;
  const tiles = await Promise.all(panels.map((p) => rawImage(p.rgb, width, height).resize(w, h).png().toBuffer()));
  return sharp({ create: { width: total, height: h + 2 * CAPTION_H, channels: 3, background: '#ffffff' } })
    .composite([
      ...tiles.flatMap((input, i) => [
        { input, left: i * (w + gap), top: 0 },
        { input: caption([panels[i]!.label], w, CAPTION_H), left: i * (w + gap), top: h },
      ]),
      { input: caption([footer], total, CAPTION_H), left: 0, top: h + CAPTION_H },
    ])
    .png()
    .toBuffer();
}

const labelsFor = (lang: Lang) => ({ original: t(lang, 'colorize_label_original'), grey: t(lang, 'colorize_label_grey'), colour: t(lang, 'colorize_label_colour') });

/**
 * A photo in, the network's colours out: the photo's lightness (L of Lab) goes
 * in at the network's size, the predicted a/b come back, are upsampled and
 * recombined with the full-resolution L, so edges stay as sharp as the original.
 * Colour photos are made grey first and compared with their real colours.
 */
export const colorizeTask: Task = async ({ options, images, lang }, { models, signal }) => {
  const bytes = images.image!;
  const t0 = performance.now();
  await inspectImage(bytes, imageLimits);
  const { session, id, input: declared } = await models.colorizer();
  // Work at the size the reply can show: the network sees 512 px anyway. sharp's raw output is
  // 3-channel sRGB whatever the file holds (one-channel grey, alpha: both covered by tests).
  const { data, info } = await decodeOrRefuse(
    openImage(bytes, imageLimits).resize({ width: MAX_OUTPUT_SIDE, height: MAX_OUTPUT_SIDE, fit: 'inside', withoutEnlargement: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true }),
  );
  const { width, height } = info;
  const lab = rgbToLab(data, width * height, info.channels);
  let chroma = 0;
  for (let i = 0; i < lab.a.length; i++) chroma += Math.hypot(lab.a[i]!, lab.b[i]!);
  const hadColour = chroma / lab.a.length > COLOUR_CHROMA;

  const meta = session.inputMetadata[0];
  const shape = meta && 'shape' in meta ? meta.shape : [];
  const netH = typeof shape[2] === 'number' ? shape[2] : DEFAULT_INPUT;
  const netW = typeof shape[3] === 'number' ? shape[3] : DEFAULT_INPUT;
  const small = await sharp(data, { raw: { width, height, channels: info.channels } }).resize(netW, netH, { fit: 'fill' }).raw().toBuffer();
  const kind = declared ?? (shape[1] === 1 ? 'lightness' : 'grey-rgb');
  const input = greyInput(small, info.channels, netW, netH, kind);
  const t1 = performance.now();
  signal.throwIfAborted();
  const out = await session.run({ [session.inputNames[0]!]: input });
  const output = out[session.outputNames[0]!]!;
  const ab = output.data as Float32Array;
  // Some networks answer at another size than they read (Zhang et al. upsample inside or not): trust the output's own dims.
  const outH = Number(output.dims[2] ?? netH);
  const outW = Number(output.dims[3] ?? netW);
  const t2 = performance.now();

  const strength = Number(options.strength ?? 1);
  const a = resizePlane(ab.subarray(0, outW * outH), outW, outH, width, height);
  const b = resizePlane(ab.subarray(outW * outH, 2 * outW * outH), outW, outH, width, height);
  let deltaE = 0;
  for (let i = 0; i < a.length; i++) {
    a[i]! *= strength;
    b[i]! *= strength;
    // L is the original's, so the colour distance is the a/b distance (CIE76 ΔE).
    if (hadColour) deltaE += Math.hypot(a[i]! - lab.a[i]!, b[i]! - lab.b[i]!);
  }
  const colour = labToRgb(lab.L, a, b);
  const grey = greyRgb(data, width * height, info.channels);
  const meanDeltaE = hadColour ? Math.round((deltaE / a.length) * 10) / 10 : undefined;
  const labels = labelsFor(lang);
  const panels = [...(hadColour ? [{ rgb: new Uint8Array(data), label: labels.original }] : []), { rgb: grey, label: labels.grey }, { rgb: colour, label: labels.colour }];
  const footer = t(lang, meanDeltaE === undefined ? 'colorize_footer' : 'colorize_footer_compare', { model: id, delta: meanDeltaE ?? '' });
  const [colorized, comparison] = await Promise.all([rawImage(colour, width, height).png().toBuffer(), beforeAfter(panels, width, height, footer)]);
  const t3 = performance.now();

  const ms = Math.round(t3 - t0);
  const text = [t(lang, 'colorized', { model: id, ms, strength }), meanDeltaE === undefined ? '' : t(lang, 'colorize_delta', { delta: meanDeltaE }), t(lang, 'colorize_note')].filter(Boolean).join('\n');
  const result: ResultImage[] = [
    { name: 'colorized.png', mime: 'image/png', data: colorized, alt: labels.colour },
    { name: 'before-after.png', mime: 'image/png', data: comparison, alt: hadColour ? `${labels.original} · ${labels.grey} · ${labels.colour}` : `${labels.grey} · ${labels.colour}` },
  ];
  return {
    text,
    images: result,
    data: { width, height, strength, had_colour: hadColour, ...(meanDeltaE === undefined ? {} : { mean_delta_e: meanDeltaE }), network_input: [netW, netH] },
    timings: { prepareMs: t1 - t0, inferenceMs: t2 - t1, composeMs: t3 - t2, totalMs: t3 - t0 },
    model: id,
  };
};
