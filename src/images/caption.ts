// Text for pictures the bot draws, as SVG rendered by sharp (librsvg, with the
// system's sans-serif font: DejaVu on Debian).

export const escapeXml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export const CAPTION_H = 44;

/** One or two lines of text on white, `width` × `height` pixels. */
export function caption(lines: string[], width: number, height = CAPTION_H): Buffer {
  const text = lines
    .map(
      (l, i) =>
        `<text x="6" y="${18 + i * 18}" font-family="sans-serif" font-size="14" fill="#111">${escapeXml(l)}</text>`,
    )
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${text}</svg>`,
  );
}
