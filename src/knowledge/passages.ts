import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lang } from '../i18n/locale.js';

/** One idea of the course notes, in both languages, with the command that demonstrates it. */
export interface Passage {
  id: string;
  /** The notes file it belongs to, e.g. "cnn". */
  topic: string;
  /** That file's topic name, listed when a question is out of scope. */
  topicName: Record<Lang, string>;
  /** The command that demonstrates it ("explain" when none does). */
  demo: string;
  /** Options that prefill the demonstrating command, e.g. { prompt: 'Once upon a time', temperature: '1.5' }. */
  tryOptions: Record<string, string>;
  /** Glossary terms that name this passage, per language. */
  terms: Record<Lang, string[]>;
  /** Glossary terms that name the whole field ("deep learning", "red neuronal", marked `~` in the notes): context more than subject. */
  broadTerms: string[];
  title: Record<Lang, string>;
  body: Record<Lang, string>;
  /** The same idea in one plain sentence ("más simple"). */
  simple: Record<Lang, string>;
  /** A concrete example ("un ejemplo"). */
  example: Record<Lang, string>;
  file: string;
}

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'passages');
const LANGS: Lang[] = ['es', 'en'];

/**
 * A notes file holds passages separated by `=== id` lines. Each has header
 * lines (`demo:`, `try:`, `terms-es:`, `terms-en:`), then per language a
 * `es: Title` / `en: Title` line, the body, a `simple:` line and an `example:` line.
 */
export function parsePassages(text: string, file: string): Passage[] {
  const topic = path.basename(file, '.md').replace(/^\d+-/, '');
  const header = text.split(/^=== /m)[0]!;
  const name = (lang: Lang) => new RegExp(`^topic-${lang}: (.+)$`, 'm').exec(header)?.[1]?.trim() ?? topic;
  const topicName = { es: name('es'), en: name('en') };
  return text
    .split(/^=== /m)
    .slice(1)
    .map((chunk) => {
      const [head, ...lines] = chunk.split('\n');
      const id = head!.trim();
      const where = `${file}: passage "${id}"`;
      const field = (name: string) =>
        lines
          .find((l) => l.startsWith(`${name}: `))
          ?.slice(name.length + 2)
          .trim();
      const list = (s: string | undefined) =>
        (s ?? '')
          .split(';')
          .map((x) => x.trim())
          .filter(Boolean);
      const block = (lang: Lang) => {
        const start = lines.findIndex((l) => l.startsWith(`${lang}: `));
        if (start < 0) throw new Error(`${where}: missing "${lang}:" block`);
        const rest = lines.slice(start + 1);
        const end = rest.findIndex((l) => /^(es|en): /.test(l));
        const own = end < 0 ? rest : rest.slice(0, end);
        const pick = (name: string) =>
          own
            .find((l) => l.startsWith(`${name}: `))
            ?.slice(name.length + 2)
            .trim() ?? '';
        const body = own
          .filter((l) => !/^(simple|example): /.test(l))
          .join('\n')
          .trim();
        const out = { title: lines[start]!.slice(4).trim(), body, simple: pick('simple'), example: pick('example') };
        for (const [k, v] of Object.entries(out)) if (!v) throw new Error(`${where}: empty ${lang} ${k}`);
        return out;
      };
      const es = block('es');
      const en = block('en');
      const tryOptions = Object.fromEntries(
        list(field('try')).map((kv) => {
          const i = kv.indexOf('=');
          return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()];
        }),
      );
      return {
        id,
        topic,
        topicName,
        demo: field('demo') ?? 'explain',
        tryOptions,
        terms: { es: list(field('terms-es')).map(plain), en: list(field('terms-en')).map(plain) },
        broadTerms: [...list(field('terms-es')), ...list(field('terms-en'))]
          .filter((x) => x.startsWith('~'))
          .map(plain),
        title: { es: es.title, en: en.title },
        body: { es: es.body, en: en.body },
        simple: { es: es.simple, en: en.simple },
        example: { es: es.example, en: en.example },
        file: `src/knowledge/passages/${path.basename(file)}`,
      };
    });
}

const plain = (term: string) => term.replace(/^~/, '');

export function loadPassages(dir = DIR): Passage[] {
  const passages = readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .flatMap((f) => parsePassages(readFileSync(path.join(dir, f), 'utf8'), f));
  const seen = new Set<string>();
  for (const p of passages) {
    if (seen.has(p.id)) throw new Error(`duplicate passage id "${p.id}"`);
    seen.add(p.id);
  }
  return passages;
}

export { LANGS };
