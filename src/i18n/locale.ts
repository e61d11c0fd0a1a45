import type { Locale } from '../../commands/spec.js';

/** Reply language: the course is bilingual, so every text exists in es and en. */
export type Lang = 'es' | 'en';

export function langOf(locale: string | undefined | null, fallback: Lang = 'en'): Lang {
  if (!locale) return fallback;
  const l = locale.toLowerCase();
  if (l.startsWith('es')) return 'es';
  if (l.startsWith('en')) return 'en';
  return fallback;
}

/** Picks the first es/en language of an Accept-Language header, by q-weight. */
export function langFromAcceptLanguage(header: string | undefined, fallback: Lang = 'en'): Lang {
  if (!header) return fallback;
  const ranked = header
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag ?? '', q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    const l = tag.toLowerCase();
    if (l.startsWith('es')) return 'es';
    if (l.startsWith('en')) return 'en';
  }
  return fallback;
}

/** Spec locale to use for a reply language (es-419: the course is es-AR). */
export function specLocale(lang: Lang, locale?: string): Locale {
  if (lang === 'en') return 'en-US';
  return locale === 'es-ES' ? 'es-ES' : 'es-419';
}
