import detectFacesSpec from '../../commands/detect-faces.js';
import { SinapsisError } from '../errors.js';
import { blurFaces, drawFaces } from '../images/draw.js';
import { decodeOrRefuse, inspectImage, openImage } from '../images/load.js';
import { t } from '../i18n/messages.js';
import { modelForTask } from '../models/manifest.js';
import type { ModelRegistry } from '../models/registry.js';
import { BufferPool, decode, letterbox, toInputTensor, type Face } from '../models/yunet.js';
import type { Task } from './types.js';

const imageLimits = detectFacesSpec.options.find((o) => o.name === 'image')!;
const inputBuffers = new BufferPool();

export interface Detection {
  faces: Face[];
  width: number;
  height: number;
  /** Header check + pixel decode; letterbox resize into the tensor; the network; box decoding + NMS. */
  timings: { decodeMs: number; resizeMs: number; inferenceMs: number; postMs: number };
}

/** File bytes in → faces out, in the pixels of the EXIF-oriented image. */
export async function detectFaces(models: ModelRegistry, modelId: string, bytes: Buffer, minScore: number): Promise<Detection> {
  const t0 = performance.now();
  const info = await inspectImage(bytes, imageLimits);
  const session = await models.onnxSession(modelId);
  const dims = session.inputMetadata[0];
  const shape = dims && 'shape' in dims ? dims.shape : [];
  const fixed = typeof shape[2] === 'number' && typeof shape[3] === 'number' ? ([shape[3], shape[2]] as [number, number]) : undefined;
  const lb = letterbox(info.width, info.height, fixed);
  const { data, info: px } = await decodeOrRefuse(openImage(bytes, imageLimits).raw().toBuffer({ resolveWithObject: true }));
  const buffer = inputBuffers.acquire(3 * lb.inputWidth * lb.inputHeight);
  const t1 = performance.now();
  let out;
  let t2 = t1;
  try {
    const input = toInputTensor(data, px.width, px.height, px.channels, lb, buffer);
    t2 = performance.now();
    out = await session.run({ [session.inputNames[0]!]: input });
  } finally {
    inputBuffers.release(buffer);
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
  const image = openImage(bytes, imageLimits);
  const png = await decodeOrRefuse(
    blur ? blurFaces(image, det.width, det.height, det.faces) : drawFaces(image, det.width, det.height, det.faces),
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
    images: [{ name: blur ? 'faces-blurred.png' : 'faces.png', mime: 'image/png', data: png, alt: lines[0]! }],
    data: { faces: det.faces, width: det.width, height: det.height },
    timings: { ...det.timings, drawMs, totalMs },
    model: modelId,
  };
};
