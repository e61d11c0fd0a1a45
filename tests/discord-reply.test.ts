import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fitUpload, parseCustomId, splitContent } from '../src/adapters/discord/reply.js';
import { isAllowedUrl } from '../src/adapters/download.js';

describe('Discord reply helpers', () => {
  it('splits long text past 2000 characters, at line breaks when it can, losing nothing', () => {
    const lines = Array.from({ length: 120 }, (_, i) => `#${i + 1}: 93% at (100, 200), 40×50 px`);
    const parts = splitContent(lines.join('\n'));
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(2000);
    expect(parts.join('\n')).toBe(lines.join('\n'));
    const noBreaks = 'x'.repeat(4500);
    expect(splitContent(noBreaks).join('')).toBe(noBreaks);
  });

  it('keeps a PNG under the limit as is, and turns a too-large one into a JPEG that fits', async () => {
    const noise = Buffer.from(Array.from({ length: 1200 * 900 * 3 }, () => Math.floor(Math.random() * 256)));
    const png = await sharp(noise, { raw: { width: 1200, height: 900, channels: 3 } })
      .png()
      .toBuffer();
    const small = await fitUpload({ name: 'faces.png', mime: 'image/png', data: png, alt: '' }, png.length);
    expect(small.name).toBe('faces.png');
    const fitted = await fitUpload({ name: 'faces.png', mime: 'image/png', data: png, alt: '' }, 1024 * 1024);
    expect(fitted.name).toBe('faces.jpg');
    expect(fitted.data.length).toBeLessThanOrEqual(1024 * 1024);
    expect((await sharp(fitted.data).metadata()).format).toBe('jpeg');
  });

  it('button ids carry an action and a stored state id, nothing else', () => {
    expect(parseCustomId('sx:blur:abc_DEF-12')).toEqual({ action: 'blur', stateId: 'abc_DEF-12' });
    expect(parseCustomId('sx:format-disk:abc')).toBeUndefined();
    expect(parseCustomId('other:blur:abc')).toBeUndefined();
  });

  it('only downloads from the platform’s file hosts', () => {
    const cdn = ['https://cdn.discordapp.com/', 'https://media.discordapp.net/'];
    expect(isAllowedUrl('https://cdn.discordapp.com/attachments/1/2/a.jpg?ex=1', cdn)).toBe(true);
    expect(isAllowedUrl('https://cdn.discordapp.com.evil.example/a.jpg', cdn)).toBe(false);
    expect(isAllowedUrl('http://cdn.discordapp.com/a.jpg', cdn)).toBe(false);
    expect(isAllowedUrl('https://127.0.0.1/a.jpg', cdn)).toBe(false);
    expect(isAllowedUrl('not a url', cdn)).toBe(false);
  });
});
