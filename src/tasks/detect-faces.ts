import type * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import detectFacesSpec from '../../commands/detect-faces.js';
import { SinapsisError } from '../errors.js';
import { blurFaces, drawFaces } from '../images/draw.js';
import { resultFormat, type ResultFormat } from '../images/encode.js';
import { decodeImage, decodeOrRefuse, openImage, type DecodedImage } from '../images/load.js';
import { t } from '../i18n/messages.js';
import { modelForTask } from '../models/manifest.js';
import type { ModelRegistry } from '../models/registry.js';
import {
  BufferPool,
  decode,
  graphInputSize,
  LONG_SIDE,
  letterbox,
  letterboxFeeds,
  letterboxInGraph,
  toInputTensor,
  type Face,
} from '../models/yunet.js';
import type { Task } from './types.js';

const imageLimits = detectFacesSpec.options.find((o) => o.name === 'image')!;
const inputBuffers = new BufferPool();

export interface Detection {
  faces: Face[];
  width: number;
  height: number;
  /** How a picture made from this upload is best encoded (JPEG for photos). */
  format: ResultFormat;
  /** The decoded pixels, when they are the whole photo (not shrunk): drawing reuses them. */
  pixels?: DecodedImage;
  /**
   * Header check + pixel decode; the tensor (BGR planes; with the letterbox in the graph, the
   * resize itself is in inferenceMs); the network; box decoding + NMS.
   */
  timings: { decodeMs: number; resizeMs: number; inferenceMs: number; postMs: number };
}

/** Models whose graph could not take the letterbox (e.g. a dynamic input size): resized in JS instead. */
const jsLetterbox = new Set<string>();

/** The session with the letterbox in its graph, else (once that failed for this model) the plain one. */
async function sessionFor(
  models: ModelRegistry,
  modelId: string,
): Promise<{ session: ort.InferenceSession; inGraph: boolean }> {
  if (!jsLetterbox.has(modelId)) {
    try {
      return { session: await models.onnxSession(modelId, letterboxInGraph(modelId)), inGraph: true };
    } catch {
      // A missing or damaged file fails the plain load below with its own error; only a model
      // that loads plain but not edited is remembered as one to resize in JS.
      const session = await models.onnxSession(modelId);
      jsLetterbox.add(modelId);
      return { session, inGraph: false };
    }
  }
  return { session: await models.onnxSession(modelId), inGraph: false };
}

/**
 * File bytes in → faces out, in the pixels of the EXIF-oriented image. One
 * libvips call decodes (the header is read in JS); photos of twice the
 * network's side or more are shrunk while decoding (JPEG shrink-on-load).
 * The letterbox resize runs inside the network's graph (onnxruntime, off the
 * event loop); models that cannot take it are resized in JS into the tensor.
 */
export async function detectFaces(
  models: ModelRegistry,
  modelId: string,
  bytes: Buffer,
  minScore: number,
): Promise<Detection> {
  const t0 = performance.now();
  // Refused uploads never load the model. Decoded at most at the network's usual side (640).
  const img = await decodeImage(bytes, imageLimits, { maxSide: LONG_SIDE, shrinkFrom: 2 * LONG_SIDE });
  const info = img.source;
  const { session, inGraph } = await sessionFor(models, modelId);
  const dims = session.inputMetadata[0];
  const shape = dims && 'shape' in dims ? dims.shape : [];
  const fixed = inGraph
    ? graphInputSize(modelId)
    : typeof shape[2] === 'number' && typeof shape[3] === 'number'
      ? ([shape[3], shape[2]] as [number, number])
      : undefined;
  const lb = letterbox(info.width, info.height, fixed);
  const t1 = performance.now();
  let out: ort.InferenceSession.OnnxValueMapType;
  let t2 = t1;
  if (inGraph) {
    const feeds = letterboxFeeds(img.data, img.width, img.height, img.channels, lb);
    t2 = performance.now();
    out = await session.run(feeds);
  } else {
    const buffer = inputBuffers.acquire(3 * lb.inputWidth * lb.inputHeight);
    try {
      const input = toInputTensor(img.data, img.width, img.height, img.channels, lb, buffer);
      t2 = performance.now();
      out = await session.run({ [session.inputNames[0]!]: input });
    } finally {
      inputBuffers.release(buffer);
    }
  }
  const t3 = performance.now();
  const faces = decode(out, lb, info.width, info.height, minScore);
  const round = (f: Face): Face => ({
    box: f.box.map((v) => Math.round(v * 10) / 10) as Face['box'],
    score: Math.round(f.score * 1e4) / 1e4,
    landmarks: f.landmarks.map(([x, y]) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10]),
  });
  // Numbered in reading order (left to right), which is how people refer to them.
  faces.sort((a, b) => a.box[0] - b.box[0] || a.box[1] - b.box[1]);
  return {
    faces: faces.map(round),
    width: info.width,
    height: info.height,
    format: resultFormat(img),
    ...(img.width === info.width && img.height === info.height ? { pixels: img } : {}),
    timings: { decodeMs: t1 - t0, resizeMs: t2 - t1, inferenceMs: t3 - t2, postMs: performance.now() - t3 },
  };
}

export const detectFacesTask: Task = async ({ options, images, lang }, { models, signal }) => {
  const bytes = images.image;
  if (!bytes) throw new SinapsisError('missing_option', { option: 'image' });
  const modelId = modelForTask(models.manifest, 'detect-faces').id;
  const started = performance.now();
  const det = await detectFaces(models, modelId, bytes, Number(options['min-score'] ?? 0.6));
  signal.throwIfAborted();
  const blur = options.blur === true;
  const t4 = performance.now();
  // The photo decoded for detection when it was decoded whole; else decoded again at the reply size.
  const px = det.pixels;
  const image = px
    ? sharp(px.data, { raw: { width: px.width, height: px.height, channels: px.channels as 3 | 4 } })
    : openImage(bytes, imageLimits);
  const picture = await decodeOrRefuse(
    blur
      ? blurFaces(image, det.width, det.height, det.faces, det.format)
      : drawFaces(image, det.width, det.height, det.faces, det.format),
  );
  const drawMs = performance.now() - t4;
  const totalMs = performance.now() - started;
  const lines = [
    t(lang, blur ? 'faces_blurred' : 'faces_found', { count: det.faces.length }),
    ...(blur
      ? []
      : det.faces.map((f, i) =>
          t(lang, 'face_line', {
            n: i + 1,
            score: Math.round(f.score * 100),
            x: Math.round(f.box[0]),
            y: Math.round(f.box[1]),
            w: Math.round(f.box[2]),
            h: Math.round(f.box[3]),
          }),
        )),
    t(lang, 'model_and_time', { model: modelId, ms: Math.round(totalMs) }),
    t(lang, 'faces_privacy'),
  ];
  return {
    text: lines.join('\n'),
    images: [
      {
        name: `${blur ? 'faces-blurred' : 'faces'}.${det.format.ext}`,
        mime: det.format.mime,
        data: picture,
        alt: lines[0]!,
      },
    ],
    data: { faces: det.faces, width: det.width, height: det.height },
    timings: { ...det.timings, drawMs, totalMs },
    model: modelId,
  };
};
