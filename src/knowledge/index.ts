import MiniSearch from 'minisearch';
import type { Lang } from '../i18n/locale.js';
import { loadPassages, type Passage } from './passages.js';
import { editDistance, fold, sameWord, terms } from './text.js';

export { loadPassages, type Passage } from './passages.js';
/** Older name, kept for the dense index and callers that speak of sections. */
export type Section = Passage;
export const loadKnowledge = loadPassages;

export interface Hit {
  section: Passage;
  score: number;
}

/** What the index made of a question: the basis of the scope decision. */
export interface Analysis {
  /** Content terms after typo correction. */
  terms: string[];
  /** Typos fixed against the notes' vocabulary, e.g. { artifical: 'artificial' }. */
  corrected: Record<string, string>;
  /** IDF-weighted share of the question's content terms that the notes contain (0..1). */
  coverage: number;
  /** Question words that only belong to field-wide glossary terms ("deep learning", "red neuronal"). */
  fieldWords: string[];
  /** The scope decision: enough of the question names topics of the notes (see DECLINE_BELOW). */
  inScope: boolean;
  /** Passages a glossary term in the question names, the earliest (then longest) match first; weight grows with the words' rarity. */
  glossary: { id: string; words: number; at: number[]; weight: number; broad: boolean }[];
}

/**
 * The scope decision, tuned on tests/fixtures/explain-questions.json (bench: `npm run bench -- explain`):
 * a question is declined when its coverage is below DECLINE_BELOW, below DECLINE_BELOW_UNNAMED when no
 * glossary term names a passage ("motor de auto" shares one word with "autos autónomos"), and only below
 * DECLINE_BELOW_PHRASE when a specific name of two or more words is in it ("el learning rate como si tuviera 5 años").
 */
export const DECLINE_BELOW = 0.55;
export const DECLINE_BELOW_UNNAMED = 0.65;
export const DECLINE_BELOW_PHRASE = 0.4;

// Glossary matches weigh double in coverage and lift their passage above plain word matches.
const GLOSSARY_WEIGHT = 2;
const GLOSSARY_BONUS = 0.6;
// The first-named glossary term is usually the question's subject ("la temperatura al generar texto").
const FIRST_BONUS = 1;
// A corrected or prefix-matched term is less certain than an exact one.
const FUZZY_KNOWN = 0.8;
const GENERIC_WEIGHT = 0.5;
// A word of the prose that names no topic is no evidence of scope (the prose mentions cafés and cars too).
const GENERIC_KNOWN = 0;
/** A one-word glossary term that this many passages mention is broad (tier 1): "neurona", "token", "GAN". */
const BROAD_FROM = 8;
/** How much a glossary match lifts its passage, by tier: specific, broad, field-wide. */
const TIER_WEIGHT = [1, 0.3, 0.3];

/**
 * Passage-level retrieval over both languages at once (BM25+ via MiniSearch),
 * with a bilingual glossary that names passages, typo correction against the
 * notes' own vocabulary, and a coverage figure for deciding what is out of scope.
 */
export class KnowledgeIndex {
  private readonly search = new MiniSearch<{ id: string; title: string; terms: string; text: string; extra: string }>({
    fields: ['title', 'terms', 'text', 'extra'],
    tokenize: (text) => terms(text),
    processTerm: (t) => t,
    searchOptions: {
      boost: { title: 2, terms: 3, text: 1, extra: 0.3 },
      prefix: (term) => term.length >= 6,
      fuzzy: false,
      tokenize: (text) => text.split(' ').filter(Boolean),
      processTerm: (t) => t,
    },
  });
  /** Document frequency of each term across passages (titles, terms, bodies). */
  private readonly df = new Map<string, number>();
  private readonly vocabulary: string[];
  /** Topical terms: titles, glossary terms and the bold words of the bodies (not every word of the prose). */
  private readonly topical = new Set<string>();
  private readonly topicalList: string[];
  private readonly meanIdf: number;
  /** tier 0: names one passage; 1: mentioned by many passages; 2: names the whole field (marked `~`). */
  private readonly glossaryEntries: { terms: string[]; id: string; tier: number }[] = [];
  private readonly byIdMap: Map<string, Passage>;
  private readonly byTitleMap = new Map<string, Passage>();

  constructor(readonly sections: Passage[] = loadPassages()) {
    this.byIdMap = new Map(sections.map((p) => [p.id, p]));
    this.search.addAll(
      sections.map((p) => ({
        id: p.id,
        title: `${p.title.es} ${p.title.en}`,
        terms: [...p.terms.es, ...p.terms.en].join(' ; '),
        text: `${p.body.es} ${p.body.en}`,
        extra: `${p.simple.es} ${p.simple.en} ${p.example.es} ${p.example.en}`,
      })),
    );
    for (const p of sections) {
      const own = new Set(
        terms(
          `${p.title.es} ${p.title.en} ${p.terms.es.join(' ')} ${p.terms.en.join(' ')} ${p.body.es} ${p.body.en} ${p.simple.es} ${p.simple.en}`,
        ),
      );
      for (const t of own) this.df.set(t, (this.df.get(t) ?? 0) + 1);
      const bold = [p.body.es, p.body.en].flatMap((b) => [...b.matchAll(/\*\*(.+?)\*\*/g)].map((m) => m[1]!));
      for (const t of terms([p.title.es, p.title.en, ...p.terms.es, ...p.terms.en, ...bold].join(' ')))
        this.topical.add(t);
      for (const g of [...p.terms.es, ...p.terms.en]) {
        const gt = terms(g);
        if (gt.length) this.glossaryEntries.push({ terms: gt, id: p.id, tier: p.broadTerms.includes(g) ? 2 : 0 });
      }
      for (const key of [p.id, p.title.es, p.title.en]) this.byTitleMap.set(titleKey(key), p);
    }
    this.vocabulary = [...this.df.keys()];
    // A glossary term most passages mention ("deep learning", "red neuronal") names the field, not a passage.
    const bodies = sections.map((p) => new Set(terms(`${p.title.es} ${p.title.en} ${p.body.es} ${p.body.en}`)));
    for (const g of this.glossaryEntries)
      if (!g.tier && bodies.filter((b) => g.terms.every((t) => b.has(t))).length >= BROAD_FROM) g.tier = 1;
    this.topicalList = [...this.topical];
    this.meanIdf = this.vocabulary.reduce((sum, t) => sum + this.idf(t), 0) / this.vocabulary.length;
  }

  get passages(): Passage[] {
    return this.sections;
  }

  byId(id: string): Passage | undefined {
    return this.byIdMap.get(id);
  }

  /** The passage whose title (either language) or id is exactly the question: what the suggestion buttons send. */
  byTitle(text: string): Passage | undefined {
    return this.byTitleMap.get(titleKey(text));
  }

  /** The bilingual glossary: every term, folded, with the passage it names. */
  glossary(): { term: string; lang: Lang; id: string }[] {
    return this.sections.flatMap((p) =>
      (['es', 'en'] as Lang[]).flatMap((lang) => p.terms[lang].map((term) => ({ term, lang, id: p.id }))),
    );
  }

  private idf(t: string): number {
    return Math.log(1 + this.sections.length / (this.df.get(t) ?? 1));
  }

  /** The closest vocabulary term within one edit (two for long words), preferring the more frequent. */
  private correct(t: string): string | undefined {
    if (t.length < 4 || /\d/.test(t)) return undefined;
    const max = t.length >= 10 ? 2 : 1;
    let best: string | undefined;
    let bestD = max + 1;
    for (const v of this.topicalList) {
      if (Math.abs(v.length - t.length) > max || v.length < 4) continue;
      const d = editDistance(t, v, max);
      if (d < bestD || (d === bestD && best && (this.df.get(v) ?? 0) > (this.df.get(best) ?? 0))) {
        best = v;
        bestD = d;
      }
    }
    return bestD <= max ? best : undefined;
  }

  private sibling(t: string): string | undefined {
    let best: string | undefined;
    let bestLen = 0;
    for (const v of this.topicalList) {
      if (!sameWord(v, t)) continue;
      let i = 0;
      while (i < v.length && v[i] === t[i]) i++;
      if (i > bestLen || (i === bestLen && best && Math.abs(v.length - t.length) < Math.abs(best.length - t.length))) {
        best = v;
        bestLen = i;
      }
    }
    return best;
  }

  analyze(question: string): Analysis {
    const raw = terms(question);
    const corrected: Record<string, string> = {};
    const known: number[] = [];
    const out = raw.map((t) => {
      if (this.topical.has(t)) {
        known.push(1);
        return t;
      }
      // Another form of a topical word ("aprende" ~ "aprender", "convolucionales" ~ "convolucional"), the longest shared start winning.
      const sibling = t.length >= 5 ? this.sibling(t) : undefined;
      if (sibling) {
        known.push(FUZZY_KNOWN);
        return sibling;
      }
      const fix = t.length >= 5 ? this.correct(t) : undefined;
      if (fix) {
        corrected[t] = fix;
        known.push(FUZZY_KNOWN);
        return fix;
      }
      // A word of the prose that names no topic is weak evidence of scope.
      known.push(this.df.has(t) ? GENERIC_KNOWN : 0);
      return t;
    });
    // A glossary term matches when each of its words is in the question, in any order and form.
    const glossaryTerms = new Set<number>();
    const glossary = new Map<string, { n: number; at: number; w: number; tier: number; words: number[] }>();
    for (const g of this.glossaryEntries) {
      const at = g.terms.map((gt) => out.findIndex((t) => sameWord(gt, t)));
      if (at.some((i) => i < 0)) continue;
      for (const i of at) glossaryTerms.add(i);
      const prev = glossary.get(g.id);
      const first = Math.min(...at);
      // Rare words name a passage more precisely than umbrella ones ("GPU" vs "deep learning").
      const w = at.reduce((sum, i) => sum + this.idf(out[i]!), 0);
      if (
        !prev ||
        g.tier < prev.tier ||
        (prev.tier === g.tier && (g.terms.length > prev.n || (g.terms.length === prev.n && first < prev.at)))
      )
        glossary.set(g.id, { n: g.terms.length, at: first, w, tier: g.tier, words: at });
    }
    let num = 0;
    let den = 0;
    out.forEach((t, i) => {
      // Unknown words weigh like the rarest term; words of the prose that name no topic count half.
      const w =
        (this.df.has(t) ? this.idf(t) * (known[i]! >= FUZZY_KNOWN ? 1 : GENERIC_WEIGHT) : this.idf('\u0000')) *
        (glossaryTerms.has(i) ? GLOSSARY_WEIGHT : 1);
      num += w * known[i]!;
      den += w;
    });
    const ranked = [...glossary.entries()].sort(
      (a, b) => a[1].tier - b[1].tier || a[1].at - b[1].at || b[1].n - a[1].n,
    );
    const coverage = den ? num / den : 0;
    const fieldIdx = new Set<number>();
    const specificIdx = new Set<number>();
    for (const g of this.glossaryEntries) {
      const at = g.terms.map((gt) => out.findIndex((t) => sameWord(gt, t)));
      if (at.some((i) => i < 0)) continue;
      for (const i of at) (g.tier === 2 ? fieldIdx : specificIdx).add(i);
    }
    const fieldWords = !specificIdx.size ? [] : [...fieldIdx].filter((i) => !specificIdx.has(i)).map((i) => out[i]!);
    const named = [...glossary.values()].some((m) => m.tier < 2);
    // A specific name of two or more words ("learning rate", "función de activación") is strong evidence by itself.
    const namedPhrase = [...glossary.values()].some((m) => m.tier === 0 && m.n >= 2);
    const inScope = coverage >= (namedPhrase ? DECLINE_BELOW_PHRASE : named ? DECLINE_BELOW : DECLINE_BELOW_UNNAMED);
    return {
      terms: out,
      corrected,
      coverage,
      inScope,
      fieldWords,
      glossary: ranked.map(([id, m]) => ({
        id,
        words: m.n,
        at: m.words,
        weight: (m.w / this.meanIdf) * TIER_WEIGHT[m.tier]!,
        broad: m.tier > 0,
      })),
    };
  }

  /** Passages for a question, best first, and what the analysis found. */
  lookup(question: string, limit = 10): { hits: Hit[]; analysis: Analysis } {
    const analysis = this.analyze(question);
    // Words naming the whole field ("deep learning" in "a neuron in deep learning") are context: left out of
    // the search when the question also names something specific.
    const words =
      analysis.fieldWords.length && analysis.fieldWords.length < analysis.terms.length
        ? analysis.terms.filter((t) => !analysis.fieldWords.includes(t))
        : analysis.terms;
    const results = words.length ? this.search.search(words.join(' ')) : [];
    const top = results[0]?.score ?? 1;
    const scores = new Map(results.map((r) => [r.id as string, r.score]));
    // Glossary names lift their passage (longer names more, the first-named a little more), even one BM25 ranked low.
    analysis.glossary.forEach(({ id, weight, broad }, rank) => {
      const bonus = weight + (rank === 0 ? FIRST_BONUS * (broad ? TIER_WEIGHT[1]! : 1) : 0);
      scores.set(id, (scores.get(id) ?? 0) + top * GLOSSARY_BONUS * bonus);
    });
    const hits = [...scores.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([id, score]) => ({ section: this.byIdMap.get(id)!, score }));
    return { hits, analysis };
  }

  query(question: string, limit = 3): Hit[] {
    return this.lookup(question, limit).hits;
  }
}

const titleKey = (s: string) =>
  fold(s)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
