// sRGB ↔ CIE Lab (D65), the conversion OpenCV's COLOR_RGB2Lab does on float
// images (sRGB gamma, then XYZ, then Lab): what colorization networks are
// trained with. L is 0..100; a and b roughly -128..127.

const XN = 0.950456;
const ZN = 1.088754;
const EPS = 216 / 24389;
const KAPPA = 24389 / 27;

/** sRGB byte → linear light, precomputed: inputs are 8-bit. */
const LINEAR = Float32Array.from({ length: 256 }, (_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

const f = (t: number) => (t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116);
const fInv = (t: number) => {
  const t3 = t * t * t;
  return t3 > EPS ? t3 : (116 * t - 16) / KAPPA;
};
const gamma = (c: number) => (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);

// Linear light → sRGB byte through a table: three pow() per pixel made labToRgb the slowest
// step of /colorize. 2^16 steps keep the error under 0.05 of a level (checked by the tests).
const STEPS = 65535;
const TO_BYTE = Uint8Array.from({ length: STEPS + 1 }, (_, i) =>
  Math.round(Math.min(1, Math.max(0, gamma(i / STEPS))) * 255),
);
const toByte = (c: number) => TO_BYTE[c <= 0 ? 0 : c >= 1 ? STEPS : (c * STEPS + 0.5) | 0]!;
const TO_UNIT = Float32Array.from({ length: STEPS + 1 }, (_, i) => gamma(i / STEPS));

// f() (a cube root above EPS) through a table with linear interpolation: three
// Math.cbrt per pixel were most of rgbToLab's time. 8192 steps per unit keep f
// within 2e-6 (L within 3e-4) of the exact value; X/XN, Y and Z/ZN stay in 0..1.
const F_STEPS = 8192;
const F_TABLE = Float64Array.from({ length: F_STEPS + 2 }, (_, i) => f(i / F_STEPS));
const fFast = (t: number) => {
  const x = (t <= 0 ? 0 : t >= 1 ? 1 : t) * F_STEPS;
  const k = x | 0;
  const lo = F_TABLE[k]!;
  return lo + (F_TABLE[k + 1]! - lo) * (x - k);
};

/** Interleaved 8-bit RGB (3 or 4 channels) → planar L, a, b. */
export function rgbToLab(
  rgb: Uint8Array,
  pixels: number,
  channels: number,
): { L: Float32Array; a: Float32Array; b: Float32Array } {
  const L = new Float32Array(pixels);
  const a = new Float32Array(pixels);
  const b = new Float32Array(pixels);
  for (let i = 0, p = 0; i < pixels; i++, p += channels) {
    const r = LINEAR[rgb[p]!]!;
    const g = LINEAR[rgb[p + 1]!]!;
    const bl = LINEAR[rgb[p + 2]!]!;
    const fx = fFast((0.412453 * r + 0.35758 * g + 0.180423 * bl) / XN);
    const fy = fFast(0.212671 * r + 0.71516 * g + 0.072169 * bl);
    const fz = fFast((0.019334 * r + 0.119193 * g + 0.950227 * bl) / ZN);
    L[i] = 116 * fy - 16;
    a[i] = 500 * (fx - fy);
    b[i] = 200 * (fy - fz);
  }
  return { L, a, b };
}

/**
 * Interleaved 8-bit RGB (3 or 4 channels) → L (0..100) and the network's grey input
 * (Lab(L, 0, 0) back in sRGB, 0..1) in one pass: both depend on the luminance Y alone,
 * so a grey photo never needs a and b, and a colour one needs them only for statistics.
 */
export function lightness(rgb: Uint8Array, pixels: number, channels: number): { L: Float32Array; grey: Float32Array } {
  const L = new Float32Array(pixels);
  const grey = new Float32Array(pixels);
  for (let i = 0, p = 0; i < pixels; i++, p += channels) {
    const y = 0.212671 * LINEAR[rgb[p]!]! + 0.71516 * LINEAR[rgb[p + 1]!]! + 0.072169 * LINEAR[rgb[p + 2]!]!;
    L[i] = 116 * fFast(y) - 16;
    grey[i] = TO_UNIT[((y < 1 ? y : 1) * STEPS + 0.5) | 0]!;
  }
  return { L, grey };
}

/**
 * a and b of every `step`-th pixel: enough for a mean chroma or a mean ΔE (65 536
 * evenly spread samples put the mean within a few hundredths of the full one), at
 * a fraction of a full-size conversion.
 */
export function sampleAb(
  rgb: Uint8Array,
  pixels: number,
  channels: number,
  step = Math.max(1, Math.floor(pixels / 65536)),
): { index: Int32Array; a: Float32Array; b: Float32Array } {
  const n = Math.ceil(pixels / step);
  const index = new Int32Array(n);
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let k = 0, i = 0; k < n; k++, i += step) {
    const p = i * channels;
    const r = LINEAR[rgb[p]!]!;
    const g = LINEAR[rgb[p + 1]!]!;
    const bl = LINEAR[rgb[p + 2]!]!;
    const fx = fFast((0.412453 * r + 0.35758 * g + 0.180423 * bl) / XN);
    const fy = fFast(0.212671 * r + 0.71516 * g + 0.072169 * bl);
    const fz = fFast((0.019334 * r + 0.119193 * g + 0.950227 * bl) / ZN);
    index[k] = i;
    a[k] = 500 * (fx - fy);
    b[k] = 200 * (fy - fz);
  }
  return { index, a, b };
}

/** Planar L, a, b → interleaved 8-bit RGB. */
export function labToRgb(L: Float32Array, a: Float32Array, b: Float32Array): Uint8Array {
  const out = new Uint8Array(L.length * 3);
  for (let i = 0, p = 0; i < L.length; i++, p += 3) labPixel(L[i]!, a[i]!, b[i]!, out, p);
  return out;
}

/** One Lab pixel → three sRGB bytes at out[p]. */
function labPixel(l: number, aa: number, bb: number, out: Uint8Array, p: number): void {
  const fy = (l + 16) / 116;
  const x = XN * fInv(fy + aa / 500);
  const y = l > KAPPA * EPS ? fy * fy * fy : l / KAPPA;
  const z = ZN * fInv(fy - bb / 200);
  out[p] = toByte(3.240479 * x - 1.53715 * y - 0.498535 * z);
  out[p + 1] = toByte(-0.969256 * x + 1.875991 * y + 0.041556 * z);
  out[p + 2] = toByte(0.055648 * x - 0.204043 * y + 1.057311 * z);
}

/** Source index and weight of each bilinear sample along one axis (pixel centres aligned, like OpenCV's INTER_LINEAR). */
export function bilinearAxis(dst: number, src: number): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const ratio = src / dst;
  for (let d = 0; d < dst; d++) {
    const fPos = Math.min(Math.max((d + 0.5) * ratio - 0.5, 0), src - 1);
    i0[d] = Math.floor(fPos);
    i1[d] = Math.min(i0[d]! + 1, src - 1);
    w[d] = fPos - i0[d]!;
  }
  return { i0, i1, w };
}

/**
 * The network's a/b planes (netW × netH) → the colour picture at full size, in
 * one pass per pixel: bilinear upsampling of a and b, times `strength`, joined
 * with the full-resolution L and turned into sRGB bytes. With the photo's own
 * a/b at sampled pixels (`real`, from sampleAb), also the mean CIE76 ΔE between
 * them and the prediction there (L is shared, so that is the a/b distance). No
 * full-size a/b planes are made.
 */
export function recombine(
  L: Float32Array,
  width: number,
  height: number,
  ab: Float32Array,
  netW: number,
  netH: number,
  strength: number,
  real?: { index: Int32Array; a: Float32Array; b: Float32Array },
): { rgb: Uint8Array; meanDeltaE: number | undefined } {
  const out = new Uint8Array(width * height * 3);
  const xs = bilinearAxis(width, netW);
  const ys = bilinearAxis(height, netH);
  const plane = netW * netH;
  let deltaE = 0;
  // The next sampled pixel (never reached when there is no sample).
  let k = 0;
  let next = real && real.index.length > 0 ? real.index[0]! : -1;
  for (let y = 0; y < height; y++) {
    const r0 = ys.i0[y]! * netW;
    const r1 = ys.i1[y]! * netW;
    const wy = ys.w[y]!;
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const c0 = xs.i0[x]!;
      const c1 = xs.i1[x]!;
      const wx = xs.w[x]!;
      const at = ab[r0 + c0]! + (ab[r0 + c1]! - ab[r0 + c0]!) * wx;
      const ab0 = ab[r1 + c0]! + (ab[r1 + c1]! - ab[r1 + c0]!) * wx;
      const bt = ab[plane + r0 + c0]! + (ab[plane + r0 + c1]! - ab[plane + r0 + c0]!) * wx;
      const bb0 = ab[plane + r1 + c0]! + (ab[plane + r1 + c1]! - ab[plane + r1 + c0]!) * wx;
      const a = (at + (ab0 - at) * wy) * strength;
      const b = (bt + (bb0 - bt) * wy) * strength;
      if (i === next) {
        const da = a - real!.a[k]!;
        const db = b - real!.b[k]!;
        deltaE += Math.sqrt(da * da + db * db);
        next = ++k < real!.index.length ? real!.index[k]! : -1;
      }
      labPixel(L[i]!, a, b, out, i * 3);
    }
  }
  return { rgb: out, meanDeltaE: real && real.index.length > 0 ? deltaE / real.index.length : undefined };
}

/**
 * Interleaved 8-bit RGB → its lightness alone as sRGB grey in 0..1, i.e. Lab(L, 0, 0) back
 * to RGB: L depends only on the luminance Y, so this is gamma(Y) without the Lab detour.
 */
export function greyOf(rgb: Uint8Array, pixels: number, channels: number): Float32Array {
  const out = new Float32Array(pixels);
  for (let i = 0, p = 0; i < pixels; i++, p += channels) {
    const y = 0.212671 * LINEAR[rgb[p]!]! + 0.71516 * LINEAR[rgb[p + 1]!]! + 0.072169 * LINEAR[rgb[p + 2]!]!;
    out[i] = TO_UNIT[Math.round(y * STEPS)]!;
  }
  return out;
}

/** Interleaved 8-bit RGB → the same grey as interleaved 8-bit RGB (for showing what the network sees). */
export function greyRgb(rgb: Uint8Array, pixels: number, channels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0, p = 0; i < pixels; i++, p += channels) {
    const v = toByte(0.212671 * LINEAR[rgb[p]!]! + 0.71516 * LINEAR[rgb[p + 1]!]! + 0.072169 * LINEAR[rgb[p + 2]!]!);
    out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = v;
  }
  return out;
}
