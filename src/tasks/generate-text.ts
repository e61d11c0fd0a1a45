import { InterruptableStoppingCriteria, random, TextStreamer } from '@huggingface/transformers';
import { SinapsisError } from '../errors.js';
import { t } from '../i18n/messages.js';
import { attentionPicture, probabilityPictures, probabilitySummary } from './look-pictures.js';
import { lookInside, type Looks } from './next-token.js';
import type { ResultImage, Task } from './types.js';

// One generation at a time: they share the CPU and transformers.js' seeded RNG,
// so running them in turn is what makes "same seed, same text" true.
let turn: Promise<unknown> = Promise.resolve();

/** Masks each listed term (whole words, any case) with asterisks. */
export function maskTerms(text: string, terms: readonly string[]): string {
  return terms.reduce((acc, term) => {
    const escaped = term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return acc.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'giu'), (m) =>
      '*'.repeat(m.length),
    );
  }, text);
}

/** Blocklisted terms are masked in the pictures' token labels too. */
function maskLooks(looks: Looks, blocklist: readonly string[]): Looks {
  if (!blocklist.length) return looks;
  const mask = <T extends { token: string }>(x: T): T => ({ ...x, token: maskTerms(x.token, blocklist) });
  return {
    ...looks,
    steps: looks.steps.map((s) => ({ chosen: mask(s.chosen), top: s.top.map(mask) })),
    temperatures: looks.temperatures.map((x) => ({ ...x, top: x.top.map(mask) })),
    ...(looks.attention
      ? { attention: { ...looks.attention, tokens: looks.attention.tokens.map((tk) => maskTerms(tk, blocklist)) } }
      : {}),
  };
}

export const generateTextTask: Task = async ({ options, lang, model }, { models, signal, report, blocklist = [] }) => {
  const { generator, id } = await models.textGenerator(model, { allowFolder: true });
  const run = turn.then(async () => {
    signal.throwIfAborted();
    const prompt = String(options.prompt);
    const maxNewTokens = Number(options['max-new-tokens']);
    const temperature = Number(options.temperature ?? 0.7);
    const sample = temperature > 0;
    const seed = sample ? Number(options.seed ?? Math.floor(Math.random() * 2 ** 31)) : undefined;
    const tokenizer = generator.tokenizer;
    const useTemplate = Boolean((tokenizer as unknown as { chat_template?: string }).chat_template);
    const text = useTemplate
      ? (tokenizer.apply_chat_template([{ role: 'user', content: prompt }], {
          tokenize: false,
          add_generation_prompt: true,
        }) as string)
      : prompt;
    const inputs = tokenizer(text, { add_special_tokens: !useTemplate });
    const promptTokens = inputs.input_ids.dims.at(-1)!;

    const started = performance.now();
    let firstTokenMs: number | undefined;
    let streamed = '';
    const streamer = new TextStreamer(tokenizer, {
      skip_prompt: true,
      skip_special_tokens: true,
      callback_function: (piece: string) => {
        firstTokenMs ??= performance.now() - started;
        streamed += piece;
        report?.({ text: maskTerms(streamed, blocklist) });
      },
    });
    const stop = new InterruptableStoppingCriteria();
    const onAbort = () => stop.interrupt();
    signal.addEventListener('abort', onAbort, { once: true });
    if (seed !== undefined) random.seed(seed);
    let output: unknown;
    try {
      output = await generator.model.generate({
        ...inputs,
        max_new_tokens: maxNewTokens,
        do_sample: sample,
        ...(sample ? { temperature, top_k: Number(options['top-k'] ?? 0), top_p: Number(options['top-p'] ?? 1) } : {}),
        streamer,
        stopping_criteria: [stop],
      } as never);
    } catch (err) {
      throw new SinapsisError('internal', {}, { cause: err });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    const genMs = performance.now() - started;
    const all = (output as { tolist(): bigint[][] }).tolist()[0]!.map(Number);
    const newIds = all.slice(promptTokens);
    const eos = ([] as number[]).concat(
      (generator.model as unknown as { generation_config: { eos_token_id: number | number[] } }).generation_config
        .eos_token_id ?? [],
    );
    const stopReason = signal.aborted
      ? 'cancelled'
      : eos.includes(newIds.at(-1) ?? -1)
        ? 'eos'
        : newIds.length >= maxNewTokens
          ? 'max_tokens'
          : 'eos';
    const generated = maskTerms(tokenizer.decode(newIds, { skip_special_tokens: true }), blocklist);
    const tokensPerS = newIds.length / (genMs / 1000);
    const footer = t(lang, 'ai_generated', {
      model: id,
      tokens: newIds.length,
      rate: tokensPerS.toFixed(1),
      seed: seed ?? '',
      stop:
        stopReason === 'max_tokens'
          ? t(lang, 'stop_max_tokens')
          : stopReason === 'cancelled'
            ? t(lang, 'stop_cancelled')
            : '',
    });
    // Looks inside (opt-in): one more forward pass, after the text is already written.
    const showProbs = options['show-probabilities'] === true && newIds.length > 0;
    const showAttention = options['show-attention'] === true;
    const images: ResultImage[] = [];
    const notes: string[] = [];
    const looked: Record<string, unknown> = {};
    if ((showProbs || showAttention) && !signal.aborted) {
      const promptIds = (inputs.input_ids.tolist() as bigint[][])[0]!.map(Number);
      const lookStarted = performance.now();
      let looks: Looks | undefined;
      try {
        looks = maskLooks(await lookInside(generator, promptIds, newIds, { attention: showAttention }), blocklist);
      } catch (err) {
        // The text is already written: an export that cannot be inspected loses only the pictures.
        notes.push(t(lang, 'look_failed', { model: id }));
        looked.look_error = err instanceof Error ? err.message.slice(0, 200) : String(err);
      }
      if (looks && showProbs) {
        images.push(...(await probabilityPictures(looks, id, lang)));
        notes.push(probabilitySummary(looks, lang));
        looked.probabilities = {
          steps: looks.steps.map((s) => ({ chosen: s.chosen, top: s.top })),
          temperatures: looks.temperatures.map((x) => ({ temperature: x.temperature, top: x.top })),
        };
      }
      if (looks && showAttention && looks.attention) {
        images.push(await attentionPicture(looks.attention, id, lang));
        looked.attention = {
          layer: looks.attention.layer,
          heads: looks.attention.heads.length,
          tokens: looks.attention.tokens,
        };
      } else if (looks && showAttention) {
        notes.push(t(lang, 'attention_unavailable', { model: id }));
        looked.attention = null;
      }
      looked.look_ms = Math.round(performance.now() - lookStarted);
    }
    return {
      text: [generated, '', footer, ...(notes.length ? ['', ...notes] : [])].join('\n'),
      images,
      data: {
        ...looked,
        text: generated,
        prompt_tokens: promptTokens,
        tokens: newIds.length,
        tokens_per_s: Math.round(tokensPerS * 10) / 10,
        time_to_first_token_ms: firstTokenMs === undefined ? null : Math.round(firstTokenMs),
        stop: stopReason,
        seed: seed ?? null,
        ai_generated: true,
      },
      timings: { generateMs: genMs, ...(firstTokenMs !== undefined ? { firstTokenMs } : {}) },
      model: id,
    };
  });
  turn = run.catch(() => undefined);
  return run;
};
