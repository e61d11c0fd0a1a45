// SentencePiece .model (a protobuf) → a Hugging Face tokenizer.json for a
// Llama-style BPE with byte fallback, as transformers.js expects.
import protobuf from 'protobufjs';

export interface Piece {
  piece: string;
  score: number;
  /** 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. */
  type: number;
}

/** Reads ModelProto.pieces (field 1: piece=1 string, score=2 float, type=3 enum). */
export function readPieces(buf: Uint8Array): Piece[] {
  const r = protobuf.Reader.create(buf);
  const pieces: Piece[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 !== 1 || (tag & 7) !== 2) {
      r.skipType(tag & 7);
      continue;
    }
    const end = r.uint32() + r.pos;
    const p: Piece = { piece: '', score: 0, type: 1 };
    while (r.pos < end) {
      const t = r.uint32();
      if (t >>> 3 === 1) p.piece = r.string();
      else if (t >>> 3 === 2) p.score = r.float();
      else if (t >>> 3 === 3) p.type = r.int32();
      else r.skipType(t & 7);
    }
    pieces.push(p);
  }
  return pieces;
}

/**
 * BPE merges recovered from the vocabulary: every split of a piece into two
 * pieces that both exist is a merge, ranked by the merged piece's score
 * (SentencePiece BPE scores encode merge order), like HF's converter does.
 */
export function mergesFrom(pieces: Piece[]): [string, string][] {
  const vocab = new Map(pieces.map((p, i) => [p.piece, i]));
  const merges: { pair: [string, string]; score: number; id: number; left: number; right: number }[] = [];
  pieces.forEach((p, id) => {
    if (p.type !== 1) return;
    const chars = [...p.piece];
    for (let k = 1; k < chars.length; k++) {
      const left = chars.slice(0, k).join('');
      const right = chars.slice(k).join('');
      if (
        vocab.has(left) &&
        vocab.has(right) &&
        pieces[vocab.get(left)!]!.type === 1 &&
        pieces[vocab.get(right)!]!.type === 1
      ) {
        merges.push({ pair: [left, right], score: p.score, id, left: vocab.get(left)!, right: vocab.get(right)! });
      }
    }
  });
  merges.sort((a, b) => b.score - a.score || a.id - b.id || a.left - b.left || a.right - b.right);
  return merges.map((m) => m.pair);
}

export function tokenizerJson(pieces: Piece[]) {
  const special = pieces
    .map((p, id) => ({ p, id }))
    .filter(({ p }) => p.type === 2 || p.type === 3)
    .map(({ p, id }) => ({
      id,
      content: p.piece,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }));
  const bos = pieces.findIndex((p) => p.piece === '<s>');
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special,
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [bos], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(pieces.map((p, i) => [p.piece, i])),
      merges: mergesFrom(pieces),
    },
  };
}
