import { SinapsisError } from '../errors.js';

export interface DownloadOptions {
  /** URL prefixes (scheme, host, path) files may come from: the platform's own file hosts. */
  allowedPrefixes: readonly string[];
  maxBytes: number;
  timeoutMs: number;
  headers?: Record<string, string>;
}

export function isAllowedUrl(url: string, prefixes: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // Compare normalized URLs so "https://cdn.discordapp.com.evil.example/" cannot pass as a prefix match.
  return prefixes.some((p) => {
    const prefix = new URL(p);
    return parsed.origin === prefix.origin && parsed.pathname.startsWith(prefix.pathname);
  });
}

/**
 * Fetches a user's file from the chat platform: only from its file hosts,
 * never following redirects elsewhere, within a size cap and a timeout.
 */
export async function downloadUserFile(url: string, opts: DownloadOptions): Promise<Buffer> {
  if (!isAllowedUrl(url, opts.allowedPrefixes)) throw new SinapsisError('attachment_refused');
  const limit = Math.round(opts.maxBytes / 1024 / 1024);
  let res: Response;
  try {
    res = await fetch(url, { headers: opts.headers, redirect: 'error', signal: AbortSignal.timeout(opts.timeoutMs) });
  } catch (err) {
    throw new SinapsisError('download_failed', {}, { cause: err });
  }
  if (!res.ok || !res.body) throw new SinapsisError('download_failed', {}, { cause: new Error(`HTTP ${res.status}`) });
  if (Number(res.headers.get('content-length') ?? 0) > opts.maxBytes) {
    await res.body.cancel();
    throw new SinapsisError('upload_too_large', { limit });
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > opts.maxBytes) throw new SinapsisError('upload_too_large', { limit });
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof SinapsisError) throw err;
    throw new SinapsisError('download_failed', {}, { cause: err });
  }
  return Buffer.concat(chunks);
}
