/**
 * Long text, cut into parts that WeChat accepts.
 *
 * WeChat documents no cap on a text message, but answers 45002 ("content size out of limit") from about
 * 2 048 bytes of UTF-8 content (docs/long-text.md). A language model's answer is often longer. This module
 * cuts such a text into parts of at most `maxBytes` bytes each, at the best boundary that fits, in this
 * order: a paragraph (a blank line), a line break, a sentence (`.`, `!`, `?`, and the Chinese `。！？`, as
 * `Intl.Segmenter` finds them), a word (`Intl.Segmenter` again: it separates Chinese words too), and only
 * as a last resort a character. It never cuts inside a UTF-8 character, a grapheme (an emoji with its
 * skin tone or a ZWJ family is one) or an `<a ...>...</a>` link.
 *
 * The parts concatenate back to the original text exactly: whitespace at a cut stays at the end of the
 * part before it. With `numbering`, each part starts with `(i/n) `, and the prefix counts within the cap.
 *
 * A cut at a higher boundary is taken only if the part it ends is at least half the cap; otherwise the
 * next boundary down is tried. Each part costs one of the user's few sends, so a paragraph break near the
 * start of a window is not worth a whole part.
 *
 * Pure: no I/O, no clock.
 *
 * @example
 * ```ts
 * import { splitText, utf8Bytes } from './text-split';
 * const parts = splitText(longAnswer, { maxBytes: 2048, numbering: true });
 * parts.every((p) => utf8Bytes(p) <= 2048); // true
 * ```
 */
import { ValidationError } from './errors';

/** The cap on one text message unless `TEXT_MAX_BYTES` says otherwise: where WeChat starts answering 45002. */
export const DEFAULT_TEXT_MAX_BYTES = 2048;

/** The smallest cap that leaves room for a numbered part holding at least one 4-byte character. */
export const MIN_TEXT_MAX_BYTES = 16;

export interface SplitOptions {
  /** The cap on each part, in bytes of UTF-8. Default {@link DEFAULT_TEXT_MAX_BYTES}. */
  maxBytes?: number;
  /** Start each part with `(i/n) ` (only when there are two parts or more). Default false. */
  numbering?: boolean;
  /** The field named in errors. Default `text.content`. */
  field?: string;
}

/**
 * The number of bytes of a string in UTF-8 (what WeChat's cap counts).
 *
 * @example
 * ```ts
 * utf8Bytes('你好'); // 6
 * ```
 */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * The numbering prefix of part `index` (1-based) of `total`.
 *
 * @example
 * ```ts
 * partPrefix(2, 3); // '(2/3) '
 * ```
 */
export function partPrefix(index: number, total: number): string {
  return `(${index}/${total}) `;
}

/**
 * Takes the numbering prefixes off parts made with `numbering: true` and joins them: the original text.
 *
 * @example
 * ```ts
 * joinParts(['(1/2) Hello ', '(2/2) world'], true); // 'Hello world'
 * ```
 */
export function joinParts(parts: readonly string[], numbering = false): string {
  if (!numbering || parts.length < 2) return parts.join('');
  return parts
    .map((p, i) => (p.startsWith(partPrefix(i + 1, parts.length)) ? p.slice(partPrefix(i + 1, parts.length).length) : p))
    .join('');
}

/** Where a text may be cut, by level, from the best to the last resort. */
type Level = 'paragraph' | 'line' | 'sentence' | 'word';
const LEVELS: readonly Level[] = ['paragraph', 'line', 'sentence', 'word'];

const LINK = /<a\b[^>]*>[\s\S]*?<\/a\s*>/gi;
/**
 * The segmenters, made on first use: building one loads ICU's break rules (tens of milliseconds), which
 * every Lambda cold start would pay at load although only a split text needs them (docs/bundles.md).
 */
const segmenters = new Map<Intl.SegmenterOptions['granularity'], Intl.Segmenter>();
function segmenter(granularity: 'grapheme' | 'sentence' | 'word'): Intl.Segmenter {
  let made = segmenters.get(granularity);
  if (!made) segmenters.set(granularity, (made = new Intl.Segmenter('und', { granularity })));
  return made;
}

/** The facts about one text the cutter needs, computed once. */
interface Layout {
  text: string;
  /** bytesBefore[i]: UTF-8 bytes of text.slice(0, i), for every code unit index i (0..length). */
  bytesBefore: Uint32Array;
  /** cuttable[i] = 1 when a part may start at i: a grapheme boundary outside every link. */
  cuttable: Uint8Array;
  /** Grapheme boundaries in order, 0 and text.length included. */
  boundaries: number[];
  /** [start, end) of each link. */
  links: Array<[number, number]>;
  /** Cut points of each level but words, ascending. */
  cuts: Record<Exclude<Level, 'word'>, number[]>;
  /** The last word boundary in (start, limit] where a part may end, or undefined. */
  wordCut(start: number, limit: number): number | undefined;
}

/**
 * Whether a character can never join a grapheme cluster with its neighbour: printable ASCII, LF and tab,
 * CJK ideographs and punctuation, fullwidth forms (no combining marks among them). Between two such
 * characters there is always a grapheme boundary, so the segmenter runs only over the rest (emoji, marks,
 * CR LF, …): on a Chinese or English answer it has almost nothing to do.
 */
function simple(c: number): boolean {
  return (
    (c >= 0x20 && c <= 0x7e) ||
    c === 0x0a ||
    c === 0x09 ||
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0x3000 && c <= 0x3029) ||
    (c >= 0x3030 && c <= 0x303f) ||
    (c >= 0xff01 && c <= 0xff5e)
  );
}

function layoutOf(text: string): Layout {
  const length = text.length;
  const bytesBefore = new Uint32Array(length + 1);
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    // A surrogate pair is 4 bytes: 2 counted on each half, so a cut between halves is never a boundary anyway.
    bytesBefore[i + 1] = bytesBefore[i]! + (c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3);
  }
  // Grapheme boundaries: trivially between two simple characters; elsewhere, the segmenter over each run
  // between two trivial boundaries (segmenting from a true boundary to a true boundary is exact).
  const cuttable = new Uint8Array(length + 1);
  cuttable[0] = 1;
  cuttable[length] = 1;
  let runStart = -1;
  for (let i = 1; i <= length; i++) {
    const trivial = i === length || (simple(text.charCodeAt(i - 1)) && simple(text.charCodeAt(i)));
    if (!trivial) {
      if (runStart < 0) runStart = i - 1;
      continue;
    }
    cuttable[i] = 1;
    if (runStart >= 0) {
      // runStart is a boundary (0 or trivial), i is one: segment what lies between.
      for (const { index } of segmenter('grapheme').segment(text.slice(runStart, i))) cuttable[runStart + index] = 1;
      runStart = -1;
    }
  }
  const boundaries: number[] = [];
  for (let i = 0; i <= length; i++) if (cuttable[i]) boundaries.push(i);
  const links: Array<[number, number]> = [];
  for (const m of text.matchAll(LINK)) {
    links.push([m.index, m.index + m[0].length]);
    cuttable.fill(0, m.index + 1, m.index + m[0].length);
  }

  // A cut point is the index where the next part starts; whitespace before it stays with the part before.
  const isSpace = (i: number) => /\s/.test(text[i]!);
  const afterWhitespace = (i: number) => {
    while (i < length && isSpace(i)) i++;
    return i;
  };
  const points = (xs: Iterable<number>) => {
    const out: number[] = [];
    for (const i of xs) if (i > 0 && i < length && cuttable[i] && out[out.length - 1] !== i) out.push(i);
    return out;
  };
  const matches = function* (re: RegExp) {
    for (const m of text.matchAll(re)) yield afterWhitespace(m.index);
  };
  const segmentStarts = function* (segmenter: Intl.Segmenter) {
    for (const { index } of segmenter.segment(text)) yield index;
  };
  return {
    text,
    bytesBefore,
    cuttable,
    boundaries,
    links,
    cuts: {
      paragraph: points(matches(/\n[^\S\n]*\n/g)),
      line: points(matches(/\n/g)),
      sentence: points(segmentStarts(segmenter('sentence'))),
    },
    // Word boundaries are wanted only where a sentence is longer than half a part: found per window.
    wordCut(start: number, limit: number): number | undefined {
      let found: number | undefined;
      // Segmenting from `start` (a cut point) to a little past `limit` sees the context ICU looks at.
      for (const { index } of segmenter('word').segment(text.slice(start, Math.min(length, limit + 64)))) {
        const i = start + index;
        if (i > limit) break;
        if (i > start && cuttable[i] && !isSpace(i)) found = i;
      }
      return found;
    },
  };
}

/** The largest value of a sorted list within (low, high], or undefined. */
function lastWithin(sorted: readonly number[], low: number, high: number): number | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  let found: number | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v <= high) {
      if (v > low) found = v;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Cuts a laid-out text into chunks of at most `budget` bytes. */
function cut(layout: Layout, budget: number, field: string): string[] {
  const { text, bytesBefore, cuttable, boundaries, links, cuts, wordCut } = layout;
  const total = bytesBefore[text.length]!;
  const chunks: string[] = [];
  let start = 0;
  let b = 0; // index into boundaries, at or after start
  while (total - bytesBefore[start]! > budget) {
    const startBytes = bytesBefore[start]!;
    // The furthest grapheme boundary that fits, outside any link.
    while (b + 1 < boundaries.length && bytesBefore[boundaries[b + 1]!]! - startBytes <= budget) b++;
    let limit = boundaries[b]!;
    while (limit > start && !cuttable[limit]) limit = boundaries[--b]!;
    if (limit <= start) {
      const link = links.find(([s, e]) => s <= start && e > start);
      const what = link ? `an <a> link of ${utf8Bytes(text.slice(link[0], link[1]))} bytes` : 'a character';
      throw new ValidationError([
        {
          field,
          rule: `holds ${what} at character ${start} that does not fit in a part of ${budget} bytes; it cannot be split without breaking it`,
        },
      ]);
    }
    let end: number | undefined;
    for (const level of LEVELS) {
      const c = level === 'word' ? wordCut(start, limit) : lastWithin(cuts[level], start, limit);
      if (c !== undefined && bytesBefore[c]! - startBytes >= budget / 2) {
        end = c;
        break;
      }
    }
    end ??= limit;
    chunks.push(text.slice(start, end));
    start = end;
    while (boundaries[b]! < start) b++;
  }
  chunks.push(text.slice(start));
  return chunks;
}

/**
 * Cuts a text into parts of at most `maxBytes` bytes of UTF-8 each (see the module comment for where).
 * A text that fits is one part, unchanged (and never numbered).
 *
 * @throws {ValidationError} the text is empty, `maxBytes` is too small, or a link (or a single grapheme)
 *   is longer than a part may be.
 * @example
 * ```ts
 * splitText('第一段。\n\n第二段。', { maxBytes: 16 }); // ['第一段。\n\n', '第二段。']
 * splitText('a'.repeat(30), { maxBytes: 20, numbering: true }); // ['(1/2) aaaaaaaaaaaaaa', '(2/2) aaaaaaaaaaaaaaaa']
 * ```
 */
export function splitText(text: string, options: SplitOptions = {}): string[] {
  const maxBytes = options.maxBytes ?? DEFAULT_TEXT_MAX_BYTES;
  const field = options.field ?? 'text.content';
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_TEXT_MAX_BYTES) {
    throw new ValidationError([{ field: 'maxBytes', rule: `must be an integer of at least ${MIN_TEXT_MAX_BYTES}, got ${maxBytes}` }]);
  }
  if (text.length === 0) throw new ValidationError([{ field, rule: 'must not be empty' }]);
  if (utf8Bytes(text) <= maxBytes) return [text];
  const layout = layoutOf(text);
  if (!options.numbering) return cut(layout, maxBytes, field);
  // The prefix's length depends on how many parts there are: assume a number of digits, cut, and cut
  // again with room for more digits if the count came out longer.
  for (let digits = 1; ; digits++) {
    const widest = partPrefix(10 ** digits - 1, 10 ** digits - 1).length;
    const chunks = cut(layout, maxBytes - widest, field);
    if (String(chunks.length).length <= digits) return chunks.map((c, i) => partPrefix(i + 1, chunks.length) + c);
  }
}
