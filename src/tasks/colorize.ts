import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import colorizeSpec from '../../commands/colorize.js';
import { t } from '../i18n/messages.js';
import type { Lang } from '../i18n/locale.js';
import { caption, CAPTION_H } from '../images/caption.js';
import { MAX_OUTPUT_SIDE } from '../images/draw.js';
import { encodeAs, resultFormat, type ResultFormat } from '../images/encode.js';
import { decodeImage } from '../images/load.js';
import { bilinearAxis, greyRgb, lightness, recombine, sampleAb } from '../images/lab.js';
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
  const xs = bilinearAxis(dw, sw);
  const ys = bilinearAxis(dh, sh);
  for (let y = 0; y < dh; y++) {
    const r0 = ys.i0[y]! * sw;
    const r1 = ys.i1[y]! * sw;
    const wy = ys.w[y]!;
    for (let x = 0, o = y * dw; x < dw; x++, o++) {
      const x0 = xs.i0[x]!;
      const x1 = xs.i1[x]!;
      const wx = xs.w[x]!;
      const top = src[r0 + x0]! + (src[r0 + x1]! - src[r0 + x0]!) * wx;
      const bottom = src[r1 + x0]! + (src[r1 + x1]! - src[r1 + x0]!) * wx;
      out[o] = top + (bottom - top) * wy;
    }
  }
  return out;
}

/**
 * The network's input: only the lightness of the photo, as grey RGB in 0..1 (how DDColor was
 * trained) or as L of Lab in 0..100 on one channel (Zhang et al.), at the network's size. The
 * plane is taken at full size and resized as one plane: a third of the work of resizing RGB, and
 * no libvips round trip.
 */
function greyInput(
  lab: { L: Float32Array; grey: Float32Array },
  width: number,
  height: number,
  netW: number,
  netH: number,
  kind: 'grey-rgb' | 'lightness',
): ort.Tensor {
  const plane = netW * netH;
  if (kind === 'lightness')
    return new ort.Tensor('float32', resizePlane(lab.L, width, height, netW, netH), [1, 1, netH, netW]);
  const grey = resizePlane(lab.grey, width, height, netW, netH);
  const data = new Float32Array(3 * plane);
  data.set(grey, 0);
  data.set(grey, plane);
  data.set(grey, 2 * plane);
  return new ort.Tensor('float32', data, [1, 3, netH, netW]);
}

const rawImage = (rgb: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4 = 3) =>
  sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels } });

/**
 * Panels side by side at one height, each captioned underneath: the original
 * (`'original'`), its grey (`'grey'`, computed at tile size from the resized
 * original, not at full size) or given RGB pixels. Tiles stay raw pixels until
 * the one encode at the end.
 */
async function beforeAfter(
  original: { rgb: Uint8Array; channels: 3 | 4 },
  panels: { rgb: Uint8Array | 'original' | 'grey'; label: string }[],
  width: number,
  height: number,
  footer: string,
  format: ResultFormat,
): Promise<Buffer> {
  const h = Math.min(PANEL_H, height);
  const w = Math.max(1, Math.round((width * h) / height));
  const gap = 6;
  const total = panels.length * w + (panels.length - 1) * gap;
  const tile = (rgb: Uint8Array, channels: 3 | 4) =>
    rawImage(rgb, width, height, channels).removeAlpha().resize(w, h).raw().toBuffer();
  const [small, ...given] = await Promise.all([
    tile(original.rgb, original.channels),
    ...panels.map((p) => (typeof p.rgb === 'string' ? undefined : tile(p.rgb, 3))),
  ]);
  const tiles = panels.map((p, i) =>
    p.rgb === 'original' ? small! : p.rgb === 'grey' ? Buffer.from(greyRgb(small!, w * h, 3)) : given[i]!,
  );
  return encodeAs(
    sharp({ create: { width: total, height: h + 2 * CAPTION_H, channels: 3, background: '#ffffff' } }).composite([
      ...tiles.flatMap((input, i) => [
        { input, raw: { width: w, height: h, channels: 3 as const }, left: i * (w + gap), top: 0 },
        { input: caption([panels[i]!.label], w, CAPTION_H), left: i * (w + gap), top: h },
      ]),
      { input: caption([footer], total, CAPTION_H), left: 0, top: h + CAPTION_H },
    ]),
    format,
  );
}

const labelsFor = (lang: Lang) => ({
  original: t(lang, 'colorize_label_original'),
  grey: t(lang, 'colorize_label_grey'),
  colour: t(lang, 'colorize_label_colour'),
});

/**
 * A photo in, the network's colours out: the photo's lightness (L of Lab) goes
 * in at the network's size, the predicted a/b come back, are upsampled and
 * recombined with the full-resolution L, so edges stay as sharp as the original.
 * Colour photos are made grey first and compared with their real colours.
 */
export const colorizeTask: Task = async ({ options, images, lang }, { models, signal }) => {
  const bytes = images.image!;
  const t0 = performance.now();
  // Work at the size the reply can show: the network sees 512 px anyway. Pixels come
  // as sRGB, 3 channels or 4 with alpha, whatever the file holds (grey, alpha: both covered by tests).
  const img = await decodeImage(bytes, imageLimits, { maxSide: MAX_OUTPUT_SIDE });
  const { session, id, input: declared } = await models.colorizer();
  const { data, width, height, channels } = img;
  const format = resultFormat(img);
  // Full-size L (kept) and grey (the network's input); a/b of the photo only at sample pixels.
  const lab = lightness(data, width * height, channels);
  const real = sampleAb(data, width * height, channels);
  let chroma = 0;
  for (let i = 0; i < real.a.length; i++) chroma += Math.sqrt(real.a[i]! * real.a[i]! + real.b[i]! * real.b[i]!);
  const hadColour = chroma / real.a.length > COLOUR_CHROMA;

  const meta = session.inputMetadata[0];
  const shape = meta && 'shape' in meta ? meta.shape : [];
  const netH = typeof shape[2] === 'number' ? shape[2] : DEFAULT_INPUT;
  const netW = typeof shape[3] === 'number' ? shape[3] : DEFAULT_INPUT;
  const kind = declared ?? (shape[1] === 1 ? 'lightness' : 'grey-rgb');
  const input = greyInput(lab, width, height, netW, netH, kind);
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
  // a/b upsampled, scaled by strength and joined with the full-size L in one pass; L is the
  // original's, so the colour distance is the a/b distance (CIE76 ΔE).
  const { rgb: colour, meanDeltaE: deltaE } = recombine(
    lab.L,
    width,
    height,
    ab,
    outW,
    outH,
    strength,
    hadColour ? real : undefined,
  );
  const meanDeltaE = deltaE === undefined ? undefined : Math.round(deltaE * 10) / 10;
  const colorized = await encodeAs(rawImage(colour, width, height), format);
  const t3 = performance.now();

  // The comparison picture, timed apart: a reference pipeline would not make it.
  const labels = labelsFor(lang);
  const panels = [
    ...(hadColour ? [{ rgb: 'original' as const, label: labels.original }] : []),
    { rgb: 'grey' as const, label: labels.grey },
    { rgb: colour, label: labels.colour },
  ];
  const footer = t(lang, meanDeltaE === undefined ? 'colorize_footer' : 'colorize_footer_compare', {
    model: id,
    delta: meanDeltaE ?? '',
  });
  const comparison = await beforeAfter(
    { rgb: data, channels: channels === 4 ? 4 : 3 },
    panels,
    width,
    height,
    footer,
    format,
  );
  const t4 = performance.now();

  const ms = Math.round(t4 - t0);
  const text = [
    t(lang, 'colorized', { model: id, ms, strength }),
    meanDeltaE === undefined ? '' : t(lang, 'colorize_delta', { delta: meanDeltaE }),
    t(lang, 'colorize_note'),
  ]
    .filter(Boolean)
    .join('\n');
  const result: ResultImage[] = [
    { name: `colorized.${format.ext}`, mime: format.mime, data: colorized, alt: labels.colour },
    {
      name: `before-after.${format.ext}`,
      mime: format.mime,
      data: comparison,
      alt: hadColour ? `${labels.original} · ${labels.grey} · ${labels.colour}` : `${labels.grey} · ${labels.colour}`,
    },
  ];
  return {
    text,
    images: result,
    data: {
      width,
      height,
      strength,
      had_colour: hadColour,
      ...(meanDeltaE === undefined ? {} : { mean_delta_e: meanDeltaE }),
      network_input: [netW, netH],
    },
    // recombineMs: a/b back to full size, Lab → RGB and the colorized picture's encode; composeMs: the comparison picture alone.
    timings: { prepareMs: t1 - t0, inferenceMs: t2 - t1, recombineMs: t3 - t2, composeMs: t4 - t3, totalMs: t4 - t0 },
    model: id,
  };
};
