import type { Lang } from '../i18n/locale.js';
import { t } from '../i18n/messages.js';
import type { JobProgress } from '../queue/types.js';

/**
 * What a chat reply shows for a job's progress: the text streamed so far (with
 * a cursor), or "Descargando el modelo de traducción (113 MB): 45 %…".
 */
export function progressText(p: JobProgress, lang: Lang, maxChars = Infinity): string {
  if (p.kind === 'download') {
    const percent = p.total > 0 ? Math.min(100, Math.floor((p.bytes / p.total) * 100)) : 0;
    // Sizes under 1 MB keep a decimal ("0.1 MB"), bigger ones are rounded ("113 MB").
    const mb = p.total < 1e6 ? Math.max(0.1, p.total / 1e6).toFixed(1) : String(Math.round(p.total / 1e6));
    return `⬇️ ${t(lang, 'downloading_model', { task: p.task, mb, percent })}`;
  }
  return `${p.text.slice(0, maxChars - 2)} ▌`;
}
