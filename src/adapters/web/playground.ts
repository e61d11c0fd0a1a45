import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import sharp from 'sharp';
import { readSample, SAMPLES_DIR } from '../../samples/index.js';
import { cached } from '../../models/cached.js';
import type { ResultImage } from '../../tasks/types.js';
import type { ResultStore } from './results.js';

const ASSETS_DIR = path.join(import.meta.dirname, 'assets');

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The page's script, style and icon: separate files (a strict CSP allows no inline script or style). */
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

function load(file: string): Asset {
  const body = readFileSync(path.join(ASSETS_DIR, file));
  return { body, type: ASSETS[file]!, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

/** Content-hashed query string for an asset URL, so pages can let browsers cache it for a long time. */
export function assetUrl(file: string): string {
  return `/assets/${file}?v=${load(file).etag.slice(1, 9)}`;
}

function sendCached(req: FastifyRequest, reply: FastifyReply, a: Asset, maxAge: number) {
  reply.header('etag', a.etag).header('cache-control', `public, max-age=${maxAge}`);
  if (req.headers['if-none-match'] === a.etag) return reply.status(304).send();
  return reply.type(a.type).send(a.body);
}

const thumbs = new Map<string, Promise<Buffer>>();
const previews = new WeakMap<object, Promise<{ body: Buffer; type: string }>>();

/**
 * What the page shows: a JPEG of a photo-like result when it is under half
 * the PNG's size (an 840 KB PNG of a 720×478 crowd becomes ~110 KB); drawings
 * and text (the /explain grids) stay PNG. The download is always the original.
 */
function preview(image: ResultImage): Promise<{ body: Buffer; type: string }> {
  return cached(previews, image, async () => {
    if (image.mime !== 'image/png') return { body: image.data, type: image.mime };
    const jpeg = await sharp(image.data).jpeg({ quality: 85, mozjpeg: true }).toBuffer();
    return jpeg.length * 2 < image.data.length
      ? { body: jpeg, type: 'image/jpeg' }
      : { body: image.data, type: image.mime };
  });
}

/** Static files, sample photos (and their thumbnails) and result images. */
export function registerPlaygroundFiles(web: FastifyInstance, results: ResultStore): void {
  const assets = new Map(Object.keys(ASSETS).map((f) => [f, load(f)]));

  web.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const a = assets.get(req.params.file);
    if (!a) return reply.callNotFound();
    return sendCached(req, reply, a, 86_400);
  });
  web.get('/favicon.ico', async (req, reply) => sendCached(req, reply, assets.get('favicon.svg')!, 86_400));

  web.get<{ Params: { file: string } }>('/samples/:file', async (req, reply) => {
    // Where each sample photo comes from and its licence, linked from the pages that use them.
    if (req.params.file === 'SOURCES.md')
      return reply.type('text/plain; charset=utf-8').send(readFileSync(path.join(SAMPLES_DIR, 'SOURCES.md')));
    const m = /^([a-z0-9-]+)(\.thumb)?\.jpg$/.exec(req.params.file);
    const bytes = m ? readSample(m[1]!) : undefined;
    if (!m || !bytes) return reply.callNotFound();
    const body = m[2]
      ? await cached(thumbs, m[1]!, () =>
          sharp(bytes).resize(96, 96, { fit: 'cover' }).jpeg({ quality: 70 }).toBuffer(),
        )
      : bytes;
    return sendCached(req, reply, { body, type: 'image/jpeg', etag: `"${m[1]}${m[2] ?? ''}"` }, 86_400);
  });

  web.get<{ Params: { id: string; name: string }; Querystring: { download?: string; preview?: string } }>(
    '/r/:id/:name',
    async (req, reply) => {
      const image = results.get(req.params.id);
      if (!image) return reply.callNotFound();
      reply.header('cache-control', 'private, max-age=1800').header('x-content-type-options', 'nosniff');
      if (req.query.download)
        reply.header('content-disposition', `attachment; filename="${image.name.replace(/[^\w.-]/g, '_')}"`);
      if (req.query.preview && !req.query.download) {
        const p = await preview(image);
        return reply.type(p.type).send(p.body);
      }
      return reply.type(image.mime).send(image.data);
    },
  );
}
