// YuNet pre- and post-processing (see ../shared/models/yunet/SOURCE.md):
// BGR, raw 0..255, NCHW; letterbox padded bottom/right; 12 outputs per
// stride (cls/obj/bbox/kps × 8/16/32) decoded like OpenCV's FaceDetectorYN.
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import type { OnnxVariant } from './registry.js';

export interface Face {
  /** x, y, width, height in the pixels of the (EXIF-oriented) input image. */
  box: [number, number, number, number];
  score: number;
  /** Right eye, left eye, nose tip, right mouth corner, left mouth corner. */
  landmarks: [number, number][];
}

export interface Letterbox {
  /** Tensor size fed to the network. */
  inputWidth: number;
  inputHeight: number;
  /** Size of the resized image inside it (the rest is zero padding). */
  width: number;
  height: number;
  scale: number;
}

const STRIDES = [8, 16, 32] as const;
export const LONG_SIDE = 640;

/** Input geometry: fixed-size models get a square letterbox, dynamic ones only pad to a multiple of 32. */
export function letterbox(srcWidth: number, srcHeight: number, fixed?: [number, number]): Letterbox {
  const [fw, fh] = fixed ?? [LONG_SIDE, LONG_SIDE];
  const scale = Math.min(fw / srcWidth, fh / srcHeight);
  const width = Math.max(1, Math.round(srcWidth * scale));
  const height = Math.max(1, Math.round(srcHeight * scale));
  const pad32 = (n: number) => Math.ceil(n / 32) * 32;
  return fixed
    ? { inputWidth: fw, inputHeight: fh, width, height, scale }
    : { inputWidth: pad32(width), inputHeight: pad32(height), width, height, scale };
}

/** Source index and weight of a bilinear sample, with OpenCV's half-pixel centres (INTER_LINEAR). */
function axis(dst: number, src: number): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const ratio = src / dst;
  for (let d = 0; d < dst; d++) {
    const f = Math.min(Math.max((d + 0.5) * ratio - 0.5, 0), src - 1);
    i0[d] = Math.floor(f);
    i1[d] = Math.min(i0[d]! + 1, src - 1);
    w[d] = f - i0[d]!;
  }
  return { i0, i1, w };
}

/** Where a reused input buffer last held pixels: only that part can be non-zero where the next image is padding. */
const written = new WeakMap<Float32Array, { width: number; height: number }>();

/** Zeroes what an earlier image left where this one is padding; a fresh or unknown buffer is cleared whole. */
function clearPadding(data: Float32Array, W: number, H: number, width: number, height: number): void {
  const prev = written.get(data) ?? { width: W, height: H };
  const plane = W * H;
  for (let c = 0; c < 3; c++) {
    if (prev.width > width) {
      for (let y = 0, rows = Math.min(height, prev.height); y < rows; y++)
        data.fill(0, c * plane + y * W + width, c * plane + y * W + prev.width);
    }
    if (prev.height > height) data.fill(0, c * plane + height * W, c * plane + prev.height * W);
  }
  written.set(data, { width, height });
}

/**
 * Decoded RGB(A) pixels → letterboxed BGR planar float tensor in one pass:
 * bilinear resize, channel swap and zero padding. Doing it here instead of
 * in libvips halves the preprocessing time for these small inputs (a separable
 * two-pass version, each source row interpolated once, measured no faster in V8).
 */
export function toInputTensor(
  pixels: Uint8Array,
  srcWidth: number,
  srcHeight: number,
  channels: number,
  lb: Letterbox,
  data: Float32Array<ArrayBuffer> = new Float32Array(3 * lb.inputWidth * lb.inputHeight),
): ort.Tensor {
  const { inputWidth: W, inputHeight: H, width, height } = lb;
  const plane = W * H;
  clearPadding(data, W, H, width, height);
  const px = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length);
  const xs = axis(width, srcWidth);
  const ys = axis(height, srcHeight);
  const c0s = xs.i0.map((i) => i * channels);
  const c1s = xs.i1.map((i) => i * channels);
  const rowStride = srcWidth * channels;
  for (let y = 0; y < height; y++) {
    const r0 = ys.i0[y]! * rowStride;
    const r1 = ys.i1[y]! * rowStride;
    const wy = ys.w[y]!;
    const rowOut = y * W;
    for (let x = 0; x < width; x++) {
      const a = r0 + c0s[x]!;
      const b = r0 + c1s[x]!;
      const c = r1 + c0s[x]!;
      const d = r1 + c1s[x]!;
      const wx = xs.w[x]!;
      const w00 = (1 - wx) * (1 - wy);
      const w01 = wx * (1 - wy);
      const w10 = (1 - wx) * wy;
      const w11 = wx * wy;
      const o = rowOut + x;
      // RGB in, BGR planes out.
      data[o] = px[a + 2]! * w00 + px[b + 2]! * w01 + px[c + 2]! * w10 + px[d + 2]! * w11;
      data[plane + o] = px[a + 1]! * w00 + px[b + 1]! * w01 + px[c + 1]! * w10 + px[d + 1]! * w11;
      data[2 * plane + o] = px[a]! * w00 + px[b]! * w01 + px[c]! * w10 + px[d]! * w11;
    }
  }
  return new ort.Tensor('float32', data, [1, 3, H, W]);
}

/** Input size (width, height) of each model given the letterbox in its graph, recorded when it is edited. */
const graphInputSizes = new Map<string, [number, number]>();

/**
 * YuNet with its letterbox moved into the graph: new inputs `image` (the photo
 * as BGR planes at its own size), `sizes` and `pads`, then Resize (linear,
 * half-pixel centres: OpenCV's INTER_LINEAR) and Pad (zeros, bottom/right) feed
 * the network's original input. The file and the network are unchanged; the
 * resize runs in onnxruntime's C++ on its threads instead of ~4 ms of JS on the
 * event loop, and the outputs are the same to 1e-4 (same faces and scores).
 */
export function letterboxInGraph(modelId: string): OnnxVariant {
  return {
    name: 'letterbox-in-graph',
    edit(bytes) {
      const { onnx } = onnxProto;
      const model = onnx.ModelProto.decode(bytes);
      const g = model.graph!;
      const original = g.input![0]!;
      const dims = original.type?.tensorType?.shape?.dim ?? [];
      const fixed = (d: (typeof dims)[number] | undefined) =>
        d && d.dimValue != null && Number(d.dimValue) > 0 ? Number(d.dimValue) : undefined;
      const w = fixed(dims[3]);
      const h = fixed(dims[2]);
      if (!w || !h) throw new Error('letterbox-in-graph needs a model with a fixed input size');
      graphInputSizes.set(modelId, [w, h]);
      const T = onnx.TensorProto.DataType;
      const valueInfo = (name: string, elemType: number, shape: (number | string)[]) =>
        onnx.ValueInfoProto.create({
          name,
          type: {
            tensorType: {
              elemType,
              shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
            },
          },
        });
      const text = (name: string, value: string) =>
        onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(value) });
      g.input = [
        valueInfo('image', T.FLOAT, [1, 3, 'height', 'width']),
        valueInfo('sizes', T.INT64, [4]),
        valueInfo('pads', T.INT64, [8]),
        ...g.input!.slice(1),
      ];
      // Resize-11 takes roi and scales before sizes: both empty.
      g.initializer!.push(
        onnx.TensorProto.create({ name: 'letterbox_roi', dataType: T.FLOAT, dims: [0] }),
        onnx.TensorProto.create({ name: 'letterbox_scales', dataType: T.FLOAT, dims: [0] }),
      );
      g.node!.unshift(
        onnx.NodeProto.create({
          name: 'letterbox_resize',
          opType: 'Resize',
          input: ['image', 'letterbox_roi', 'letterbox_scales', 'sizes'],
          output: ['letterbox_resized'],
          attribute: [text('mode', 'linear'), text('coordinate_transformation_mode', 'half_pixel')],
        }),
        onnx.NodeProto.create({
          name: 'letterbox_pad',
          opType: 'Pad',
          input: ['letterbox_resized', 'pads'],
          output: [original.name!],
          attribute: [text('mode', 'constant')],
        }),
      );
      return onnx.ModelProto.encode(model).finish();
    },
  };
}

/** The network input size of a model edited by letterboxInGraph (undefined before its session is loaded). */
export const graphInputSize = (modelId: string) => graphInputSizes.get(modelId);

/** Feeds for a letterboxInGraph session: RGB(A) bytes → BGR float planes at the photo's own size, plus the resize and padding. */
export function letterboxFeeds(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  lb: Letterbox,
): Record<string, ort.Tensor> {
  const n = width * height;
  const planes = new Float32Array(3 * n);
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    planes[i] = pixels[p + 2]!;
    planes[n + i] = pixels[p + 1]!;
    planes[2 * n + i] = pixels[p]!;
  }
  return {
    image: new ort.Tensor('float32', planes, [1, 3, height, width]),
    sizes: new ort.Tensor('int64', BigInt64Array.from([1n, 3n, BigInt(lb.height), BigInt(lb.width)]), [4]),
    pads: new ort.Tensor(
      'int64',
      BigInt64Array.from([
        0n,
        0n,
        0n,
        0n,
        0n,
        0n,
        BigInt(lb.inputHeight - lb.height),
        BigInt(lb.inputWidth - lb.width),
      ]),
      [8],
    ),
  };
}

/** Reuses input buffers between jobs: allocating 5 MB per image cost more than filling it. */
export class BufferPool {
  private readonly free: Float32Array<ArrayBuffer>[] = [];
  acquire(length: number): Float32Array<ArrayBuffer> {
    const i = this.free.findIndex((b) => b.length === length);
    return i >= 0 ? this.free.splice(i, 1)[0]! : new Float32Array(length);
  }
  release(buf: Float32Array<ArrayBuffer>): void {
    if (this.free.length < 4) this.free.push(buf);
  }
}

function iou(a: Face['box'], b: Face['box']): number {
  const x1 = Math.max(a[0], b[0]);
  const y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y2 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression, highest score first. */
export function nms(faces: Face[], iouThreshold: number): Face[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  const kept: Face[] = [];
  for (const f of sorted) if (kept.every((k) => iou(k.box, f.box) <= iouThreshold)) kept.push(f);
  return kept;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/**
 * Decodes the 12 output tensors into faces in source-image pixels, clipped to
 * the image. score = sqrt(cls·obj), as OpenCV's FaceDetectorYN computes it.
 */
export function decode(
  out: ort.InferenceSession.OnnxValueMapType,
  lb: Letterbox,
  srcWidth: number,
  srcHeight: number,
  scoreThreshold: number,
  nmsThreshold = 0.3,
): Face[] {
  const faces: Face[] = [];
  const inv = 1 / lb.scale;
  for (const s of STRIDES) {
    const cls = out[`cls_${s}`]!.data as Float32Array;
    const obj = out[`obj_${s}`]!.data as Float32Array;
    const bbox = out[`bbox_${s}`]!.data as Float32Array;
    const kps = out[`kps_${s}`]!.data as Float32Array;
    const cols = lb.inputWidth / s;
    for (let i = 0; i < cls.length; i++) {
      const score = Math.sqrt(clamp01(cls[i]!) * clamp01(obj[i]!));
      if (score < scoreThreshold) continue;
      const r = Math.floor(i / cols);
      const c = i % cols;
      const cx = (c + bbox[i * 4]!) * s;
      const cy = (r + bbox[i * 4 + 1]!) * s;
      const w = Math.exp(bbox[i * 4 + 2]!) * s;
      const h = Math.exp(bbox[i * 4 + 3]!) * s;
      const x1 = Math.max(0, (cx - w / 2) * inv);
      const y1 = Math.max(0, (cy - h / 2) * inv);
      const x2 = Math.min(srcWidth, (cx + w / 2) * inv);
      const y2 = Math.min(srcHeight, (cy + h / 2) * inv);
      if (x2 <= x1 || y2 <= y1) continue;
      const landmarks: [number, number][] = [];
      for (let k = 0; k < 5; k++) {
        landmarks.push([(c + kps[i * 10 + 2 * k]!) * s * inv, (r + kps[i * 10 + 2 * k + 1]!) * s * inv]);
      }
      faces.push({ box: [x1, y1, x2 - x1, y2 - y1], score, landmarks });
    }
  }
  return nms(faces, nmsThreshold);
}
