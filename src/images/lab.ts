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
const TO_BYTE = Uint8Array.from({ length: STEPS + 1 }, (_, i) => Math.round(Math.min(1, Math.max(0, gamma(i / STEPS))) * 255));
const toByte = (c: number) => TO_BYTE[c <= 0 ? 0 : c >= 1 ? STEPS : Math.round(c * STEPS)]!;
const TO_UNIT = Float32Array.from({ length: STEPS + 1 }, (_, i) => gamma(i / STEPS));

/** Interleaved 8-bit RGB (3 or 4 channels) → planar L, a, b. */
export function rgbToLab(rgb: Uint8Array, pixels: number, channels: number): { L: Float32Array; a: Float32Array; b: Float32Array } {
  const L = new Float32Array(pixels);
  const a = new Float32Array(pixels);
  const b = new Float32Array(pixels);
  for (let i = 0, p = 0; i < pixels; i++, p += channels) {
    const r = LINEAR[rgb[p]!]!;
    const g = LINEAR[rgb[p + 1]!]!;
    const bl = LINEAR[rgb[p + 2]!]!;
    const fx = f((0.412453 * r + 0.35758 * g + 0.180423 * bl) / XN);
    const fy = f(0.212671 * r + 0.71516 * g + 0.072169 * bl);
    const fz = f((0.019334 * r + 0.119193 * g + 0.950227 * bl) / ZN);
    L[i] = 116 * fy - 16;
    a[i] = 500 * (fx - fy);
    b[i] = 200 * (fy - fz);
  }
  return { L, a, b };
}

/** Planar L, a, b → interleaved 8-bit RGB. */
export function labToRgb(L: Float32Array, a: Float32Array, b: Float32Array): Uint8Array {
  const out = new Uint8Array(L.length * 3);
  for (let i = 0, p = 0; i < L.length; i++, p += 3) {
    const l = L[i]!;
    const fy = (l + 16) / 116;
    const x = XN * fInv(fy + a[i]! / 500);
    const y = l > KAPPA * EPS ? fy * fy * fy : l / KAPPA;
    const z = ZN * fInv(fy - b[i]! / 200);
    out[p] = toByte(3.240479 * x - 1.53715 * y - 0.498535 * z);
    out[p + 1] = toByte(-0.969256 * x + 1.875991 * y + 0.041556 * z);
    out[p + 2] = toByte(0.055648 * x - 0.204043 * y + 1.057311 * z);
  }
  return out;
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
