// "What a convolutional network sees", for /explain: classic 3×3 filters slid
// over a photo, and the 16 feature maps YuNet's first learned layer produces.
import onnxProto from 'onnx-proto';
import sharp from 'sharp';
import { caption, CAPTION_H } from '../images/caption.js';
import type { Lang } from '../i18n/locale.js';
import { t, type MessageKey } from '../i18n/messages.js';
import type { ModelRegistry } from '../models/registry.js';
import { letterbox, toInputTensor } from '../models/yunet.js';

const SIDE = 256;

const FILTERS: { key: string; label: MessageKey; kernel: number[]; scale?: number; offset?: number }[] = [
  { key: 'h', label: 'cnn_filter_h', kernel: [-1, -2, -1, 0, 0, 0, 1, 2, 1], offset: 128 },
  { key: 'v', label: 'cnn_filter_v', kernel: [-1, 0, 1, -2, 0, 2, -1, 0, 1], offset: 128 },
  { key: 's', label: 'cnn_filter_s', kernel: [0, -1, 0, -1, 5, -1, 0, -1, 0] },
  { key: 'b', label: 'cnn_filter_b', kernel: [1, 1, 1, 1, 1, 1, 1, 1, 1], scale: 9 },
];

/** A built-in sample when the user attached no photo: simple shapes with clear edges. */
export function sampleImage(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SIDE}" height="${SIDE}"><rect width="100%" height="100%" fill="#dfe7ef"/>
<rect x="30" y="40" width="90" height="70" fill="#2b4c7e"/><circle cx="180" cy="90" r="45" fill="#e07a1f"/>
<polygon points="60,220 128,140 196,220" fill="#3a7d44"/><rect x="150" y="170" width="80" height="12" fill="#222"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Longest side over shortest side beyond which a photo is cropped before it is scaled. */
const MAX_ASPECT = 8;

/**
 * The photo scaled to fit a `side`×`side` box, keeping its aspect ratio. A very elongated photo
 * (1×100000) is first cropped to its central 8:1 part: scaled whole, its short side would round
 * to less than a pixel (and sharp would be asked for an image millions of pixels long).
 */
export async function fitPhoto(photo: Buffer, side: number) {
  const meta = await sharp(photo).metadata();
  const swapped = (meta.orientation ?? 1) >= 5;
  const w = (swapped ? meta.height : meta.width) ?? side;
  const h = (swapped ? meta.width : meta.height) ?? side;
  const img = sharp(photo).rotate();
  if (w > h * MAX_ASPECT)
    img.extract({ left: Math.floor((w - h * MAX_ASPECT) / 2), top: 0, width: h * MAX_ASPECT, height: h });
  else if (h > w * MAX_ASPECT)
    img.extract({ left: 0, top: Math.floor((h - w * MAX_ASPECT) / 2), width: w, height: w * MAX_ASPECT });
  return img.resize(side, side, { fit: 'inside' });
}

/** Original (grey) plus each classic filter's output, each captioned with its name and its 3×3 numbers. */
export async function classicFiltersGrid(photo: Buffer, lang: Lang): Promise<Buffer> {
  // The photo keeps its aspect ratio: the longer side is SIDE pixels, never a squashed square.
  const { data: grey, info } = await (await fitPhoto(photo, SIDE))
    .greyscale()
    .png()
    .toBuffer({ resolveWithObject: true });
  const tw = Math.max(info.width, 190); // room for the caption under a narrow (portrait) photo
  const tiles = [{ label: [t(lang, 'cnn_original_grey')], img: grey }];
  for (const f of FILTERS) {
    const img = await sharp(grey)
      .convolve({ width: 3, height: 3, kernel: f.kernel, scale: f.scale ?? 1, offset: f.offset ?? 0 })
      .png()
      .toBuffer();
    const rows = [0, 3, 6].map((i) => f.kernel.slice(i, i + 3).join(' ')).join(' | ');
    tiles.push({ label: [t(lang, f.label), `[${rows}]${f.scale ? ` / ${f.scale}` : ''}`], img });
  }
  const cols = 3;
  const cellH = info.height + CAPTION_H;
  const width = cols * (tw + 8) + 8;
  const height = Math.ceil(tiles.length / cols) * (cellH + 8) + 8;
  const composites = tiles.flatMap((t, i) => {
    const left = 8 + (i % cols) * (tw + 8);
    const top = 8 + Math.floor(i / cols) * (cellH + 8);
    return [
      { input: t.img, left: left + Math.floor((tw - info.width) / 2), top },
      { input: caption(t.label, tw), left, top: top + info.height },
    ];
  });
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite(composites)
    .png()
    .toBuffer();
}

/** YuNet with its first convolution block (after its ReLU) also exposed as a graph output. */
const FIRST_LAYER = {
  name: 'first-layer',
  edit(bytes: Uint8Array): Uint8Array {
    const { onnx } = onnxProto;
    const model = onnx.ModelProto.decode(bytes);
    const conv = model.graph!.node!.find((n) => n.opType === 'Conv')!;
    const relu = model.graph!.node!.find((n) => n.opType === 'Relu' && n.input?.[0] === conv.output![0]);
    model.graph!.output!.push(onnx.ValueInfoProto.create({ name: relu?.output?.[0] ?? conv.output![0]! }));
    return onnx.ModelProto.encode(model).finish();
  },
};

/** The 16 feature maps of YuNet's first learned layer on the photo, as a labelled grid. */
export async function firstLayerGrid(
  models: ModelRegistry,
  photo: Buffer,
  lang: Lang,
): Promise<{ png: Buffer; channels: number }> {
  const session = await models.onnxSession('yunet-n', FIRST_LAYER);
  const output = session.outputNames.at(-1)!;
  const { data, info } = await (await fitPhoto(photo, SIDE * 2))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const lb = letterbox(info.width, info.height, [640, 640]);
  const out = await session.run({ input: toInputTensor(data, info.width, info.height, info.channels, lb) }, [output]);
  const maps = out[output]!;
  const [, channels, h, w] = maps.dims as number[];
  const values = maps.data as Float32Array;
  // Only the part of the map that covers the photo, not the letterbox padding.
  const mh = Math.round((lb.height / lb.inputHeight) * h!);
  const mw = Math.round((lb.width / lb.inputWidth) * w!);
  // Tiles keep the photo's aspect ratio (longer side 128 px).
  const tileW = mw >= mh ? 128 : Math.max(1, Math.round((128 * mw) / mh));
  const tileH = mw >= mh ? Math.max(1, Math.round((128 * mh) / mw)) : 128;
  const cols = 4;
  const tiles = [];
  for (let c = 0; c < channels!; c++) {
    const plane = values.subarray(c * h! * w!, (c + 1) * h! * w!);
    // Each map gets its own contrast stretch (its minimum → black, its 99th percentile → white):
    // with one shared scale most of YuNet's maps look black next to the strongest one.
    const seen = new Float32Array(mw * mh);
    for (let y = 0; y < mh; y++) for (let x = 0; x < mw; x++) seen[y * mw + x] = plane[y * w! + x]!;
    const sorted = Float32Array.from(seen).sort();
    const lo = sorted[0]!;
    const hi = Math.max(sorted[Math.floor(0.99 * (sorted.length - 1))]!, lo + 1e-6);
    const bytes = Buffer.alloc(mw * mh);
    for (let i = 0; i < seen.length; i++)
      bytes[i] = Math.max(0, Math.min(255, Math.round(((seen[i]! - lo) / (hi - lo)) * 255)));
    tiles.push(
      await sharp(bytes, { raw: { width: mw, height: mh, channels: 1 } })
        .resize(tileW, tileH, { fit: 'fill' })
        .png()
        .toBuffer(),
    );
  }
  const title = t(lang, 'cnn_first_layer_title', { channels: channels! }).split('\n');
  const titleH = CAPTION_H + 18;
  const width = Math.max(cols * (tileW + 6) + 6, 520);
  const height = titleH + Math.ceil(channels! / cols) * (tileH + 6) + 6;
  const composites = [
    { input: caption(title, width, titleH), left: 0, top: 0 },
    ...tiles.map((input, i) => ({
      input,
      left: 6 + (i % cols) * (tileW + 6),
      top: titleH + 6 + Math.floor(i / cols) * (tileH + 6),
    })),
  ];
  const png = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite(composites)
    .png()
    .toBuffer();
  return { png, channels: channels! };
}
