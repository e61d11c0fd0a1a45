// Text analysis shared by the lexical index, the glossary and the scope check:
// one normalization for both languages, so "Función", "funcion" and "funciones"
// are the same term.

/** Words that say nothing about the topic: articles, question words, Rioplatense and English fillers. */
export const STOPWORDS = new Set(
  (
    'a al algo alguien algun alguna como con cual cuales cuando cuanto cuanta de del donde el ella ellos en entre es esa ese eso esta estan este esto estos estas ' +
    'fue ha hay la las le les lo los me mi mis mucho muy nos o os para pero por porque que quien quienes se sea ser si sin sobre son su sus te tu tus un una uno unos unas y ya yo vos ' +
    'che boludo boluda onda tipo bueno bue dale hola buenas gracias porfa favor profe capo eh ehh mmm osea digamos basicamente exactamente realmente bien ' +
    'explica explicame explicar explicarme explicas explicame explicanos decime deci contame conta conto podes podrias puede pueden podria quiero queria saber entender entiendo ' +
    'sirve sirven hace hacen funciona funcionan significa significado quiere decir concepto tema pregunta consulta ayuda ' +
    'lol xd ok okay plis bro dude loco amigo genio crack nah sabes sabe sabias tenes idea carajo pa sos estas u ur recomendas recomendame recomienda recomendar recomend pasame pasa dame necesito busco quisiera veces times desde hasta hacia segun durante mediante usa usan usar uso usos usado usada toda todo todas todos vez otra otro otras otros cada mas menos muchas muchos mucha tiene tienen tener esa esos esas aca ahi asi tan tanto ' +
    'a an and are as at be by can could do does did doing for from how i in is it its me my of on or please so that the this these those to was were what whats ' +
    'when where which who whom why will with would you your we our us tell explain explaining mean means meaning work works actually exactly basically really ' +
    'hey hi hello thanks thank pls plz concept topic question help about into just like between some any all each other more most much many has have use used uses using'
  ).split(' '),
);

/** "jajaja", "jeje", "hahaha", "xddd": chat laughter, no topic. */
const LAUGHTER = /^((j[aeiou])+j?|(h[aeiou]){2,}h?|x+d+)$/;

export const fold = (s: string) => s.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');

const COMMAND_ALIASES: Record<string, string> = {
  translate: 'translate',
  traducir: 'translate',
  colorize: 'colorize',
  colorear: 'colorize',
  explain: 'explain',
  explicar: 'explain',
};

/** Joins names that punctuation would split ("top-k", "3×3") before tokenizing. */
function canonical(text: string): string {
  return (
    fold(text)
      .replace(/\btop[\s-]?([kp])\b/g, 'top$1')
      .replace(/\b(\d+)\s?[x×]\s?(\d+)\b/g, '$1x$2')
      // A command's name is one term, in either language ("/generate-text", "generar-texto", "/translate").
      .replace(/\/?\b(generate-text|generar-texto)\b/g, ' cmdgeneratetext ')
      .replace(/\/?\b(detect-faces|detectar-caras)\b/g, ' cmddetectfaces ')
      .replace(
        /\/(translate|traducir|colorize|colorear|explain|explicar)\b/g,
        (_m, c: string) => ` cmd${COMMAND_ALIASES[c]} `,
      )
  );
}

/** A light stem: a plural ending dropped on longer words, the same rule for both languages. */
export function stem(word: string): string {
  // English -ing/-ed ("training", "trained" → "train"); Spanish words rarely end so.
  if (word.length > 5 && /(ing|ed)$/.test(word)) return word.replace(/(ing|ed)$/, '');
  // Plurals and a final e in both languages: "images"/"image" → "imag", "redes" → "red", "imágenes" → "imagen".
  if (word.length > 4) {
    const w = word.replace(/s$/, '');
    return w.length > 3 ? w.replace(/e$/, '') : w;
  }
  // Four letters: acronym plurals ("GPUs", "CNNs", "GANs").
  return word.length === 4 && !word.endsWith('ss') ? word.replace(/s$/, '') : word;
}

/** Two forms of one word: equal, or sharing all but the last two letters of the shorter (at least five). */
export function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  const min = Math.min(a.length, b.length);
  if (min < 5 || Math.abs(a.length - b.length) > 4) return false;
  let i = 0;
  while (i < min && a[i] === b[i]) i++;
  return i >= Math.max(5, min <= 7 ? min - 1 : min - 2);
}

/** Content terms of a text, in order: folded, stemmed, stop words and one-letter tokens dropped. */
export function terms(text: string): string[] {
  return canonical(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length >= 2 && !STOPWORDS.has(w) && !LAUGHTER.test(w))
    .map(stem)
    .filter((w) => !STOPWORDS.has(w));
}

/** Damerau–Levenshtein (optimal string alignment), stopping early past `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    let rowMin = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
  }
  return rows[a.length]![b.length]!;
}
