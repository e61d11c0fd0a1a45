import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import MiniSearch from 'minisearch';
import type { Lang } from '../i18n/locale.js';

export interface Section {
  id: string;
  /** The command that demonstrates it ("explain" when none does). */
  demo: string;
  keywords: string;
  title: Record<Lang, string>;
  body: Record<Lang, string>;
  file: string;
}

const DIR = path.dirname(fileURLToPath(import.meta.url));

/** Each Markdown file holds one topic in both languages: `## es: Title` and `## en: Title` blocks. */
export function parseSection(text: string, file: string): Section {
  const field = (name: string) => new RegExp(`^${name}: (.+)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  const block = (lang: Lang) => {
    const m = new RegExp(`^## ${lang}: (.+)\\n([\\s\\S]*?)(?=^## |(?![\\s\\S]))`, 'm').exec(text);
    if (!m) throw new Error(`${file}: missing "## ${lang}:" block`);
    return { title: m[1]!.trim(), body: m[2]!.trim() };
  };
  const es = block('es');
  const en = block('en');
  return { id: field('id'), demo: field('demo'), keywords: field('keywords'), title: { es: es.title, en: en.title }, body: { es: es.body, en: en.body }, file };
}

export function loadKnowledge(dir = DIR): Section[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => parseSection(readFileSync(path.join(dir, f), 'utf8'), `src/knowledge/${f}`));
}

const STOPWORDS = new Set(
  ('a al algo como con cual de del el ella en es esta este esto estos hay la las le lo los mas me mi mucho muy no o para pero por que se ser si sin sobre son su sus te tu un una uno unos y ya ' +
    'a an and are as at be by can do does for from how i in is it its me of on or that the this to was what when where which who why with you your explain explica explicame explicá que qué cómo como').split(' '),
);

/** Lower case, accents folded, stop words dropped, a light plural strip: the same for both languages. */
function term(t: string): string | null {
  const folded = t.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
  if (folded.length < 2 || STOPWORDS.has(folded)) return null;
  return folded.length > 4 ? folded.replace(/(es|s)$/, '') : folded;
}

export interface Hit {
  section: Section;
  score: number;
}

/**
 * Lexical retrieval (BM25+ via MiniSearch) over both languages of every
 * section at once, so a question in either language finds the same topic.
 */
export class KnowledgeIndex {
  private readonly search = new MiniSearch<{ id: string; title: string; text: string; keywords: string }>({
    fields: ['title', 'keywords', 'text'],
    processTerm: term,
    searchOptions: { boost: { title: 3, keywords: 2 }, fuzzy: 0.2, prefix: true },
  });

  constructor(readonly sections: Section[] = loadKnowledge()) {
    this.search.addAll(
      sections.map((s) => ({ id: s.id, title: `${s.title.es} ${s.title.en}`, keywords: s.keywords, text: `${s.body.es} ${s.body.en}` })),
    );
  }

  query(question: string, limit = 3): Hit[] {
    return this.search
      .search(question)
      .slice(0, limit)
      .map((r) => ({ section: this.sections.find((s) => s.id === r.id)!, score: r.score }));
  }

  byId(id: string): Section | undefined {
    return this.sections.find((s) => s.id === id);
  }
}
