import type { Lang } from '../i18n/locale.js';
import type { Hit, Section } from './index.js';

/** Normalized sentence vectors for a batch of texts, in order. */
export type Embed = (texts: string[]) => Promise<number[][]>;

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

/**
 * Dense retrieval: each section is embedded once per language (title + body),
 * so a question in either language meets the passage written in it and the
 * other one; a section scores its best passage.
 */
export class SemanticIndex {
  private constructor(private readonly entries: { section: Section; vector: number[] }[]) {}

  static async build(sections: readonly Section[], embed: Embed, passagePrefix: string): Promise<SemanticIndex> {
    const passages = sections.flatMap((s) =>
      (['es', 'en'] as Lang[]).map((l) => ({ section: s, text: `${passagePrefix}${s.title[l]}. ${s.body[l]}` })),
    );
    const vectors = await embed(passages.map((p) => p.text));
    return new SemanticIndex(passages.map((p, i) => ({ section: p.section, vector: vectors[i]! })));
  }

  /** Sections by cosine similarity to the query vector, best first. */
  rank(query: readonly number[]): Hit[] {
    const best = new Map<string, Hit>();
    for (const { section, vector } of this.entries) {
      const score = dot(query, vector);
      if ((best.get(section.id)?.score ?? -Infinity) < score) best.set(section.id, { section, score });
    }
    return [...best.values()].sort((a, b) => b.score - a.score);
  }
}

/**
 * Reciprocal-rank fusion of lexical and dense rankings: robust to their
 * scores living on different scales; k=60 is the usual constant. Optional
 * weights let one ranking count more than another.
 */
export function fuseRankings(
  rankings: readonly Hit[][],
  limit: number,
  k = 60,
  weights: readonly number[] = [],
): Hit[] {
  const fused = new Map<string, Hit>();
  rankings.forEach((ranking, r) => {
    const w = weights[r] ?? 1;
    ranking.forEach((hit, rank) => {
      const prev = fused.get(hit.section.id);
      fused.set(hit.section.id, { section: hit.section, score: (prev?.score ?? 0) + w / (k + rank + 1) });
    });
  });
  return [...fused.values()].sort((a, b) => b.score - a.score).slice(0, limit);
}

/** How far the best cosine stands above the average one: a flat ranking says the model sees nothing specific. */
export function denseMargin(ranking: readonly Hit[]): number {
  if (!ranking.length) return 0;
  return ranking[0]!.score - ranking.reduce((s, h) => s + h.score, 0) / ranking.length;
}
