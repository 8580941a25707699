import { ValidationError } from '../../functions/core/errors';
import { DEFAULT_TEXT_MAX_BYTES, joinParts, partPrefix, splitText, utf8Bytes } from '../../functions/core/text-split';
import { mixedAnswer, seeded } from '../support/long-text';

const graphemes = (text: string) => [...new Intl.Segmenter('und', { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);
const LINK = /<a\b[^>]*>[\s\S]*?<\/a\s*>/gi;

/** The offsets in the original text where each part after the first starts. */
function cutOffsets(parts: string[]): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const part of parts.slice(0, -1)) {
    at += part.length;
    offsets.push(at);
  }
  return offsets;
}

/** Everything a split must keep: each part fits, nothing is broken, the parts rejoin to the text. */
function expectSoundSplit(text: string, parts: string[], maxBytes: number, numbering = false) {
  for (const part of parts) {
    expect(utf8Bytes(part)).toBeLessThanOrEqual(maxBytes);
    expect(part.length).toBeGreaterThan(0);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(part)).toBe(false); // no lone surrogate: no character cut
  }
  const bodies = numbering && parts.length > 1 ? parts.map((p, i) => p.slice(partPrefix(i + 1, parts.length).length)) : parts;
  expect(joinParts(parts, numbering)).toBe(text);
  // Segmenting each part alone gives the same graphemes as segmenting the whole: no emoji sequence cut.
  expect(bodies.flatMap(graphemes)).toEqual(graphemes(text));
  const links = [...text.matchAll(LINK)].map((m) => [m.index, m.index + m[0].length] as const);
  for (const offset of cutOffsets(bodies)) {
    expect(links.filter(([start, end]) => offset > start && offset < end)).toEqual([]);
  }
}

describe('splitText', () => {
  it('leaves a text that fits as one part, unchanged and unnumbered', () => {
    // prepare
    const text = '你好 👋 <a href="https://example.com">link</a>';

    // act
    const parts = splitText(text, { maxBytes: 2048, numbering: true });

    // assess
    expect(parts).toEqual([text]);
  });

  it('splits a 10 000-byte mixed Chinese / emoji / link answer into parts that fit and rejoin to it', () => {
    // prepare
    const text = mixedAnswer(10_000);
    expect(utf8Bytes(text)).toBeGreaterThanOrEqual(10_000);

    // act
    const parts = splitText(text);

    // assess
    expect(parts.length).toBeGreaterThanOrEqual(5);
    expect(parts.length).toBeLessThanOrEqual(Math.ceil((2 * utf8Bytes(text)) / DEFAULT_TEXT_MAX_BYTES) + 1);
    expectSoundSplit(text, parts, DEFAULT_TEXT_MAX_BYTES);
  });

  it('keeps the property for many texts and caps, numbered or not', () => {
    // prepare
    const random = seeded(2026);
    const cases = Array.from({ length: 40 }, (_, i) => ({
      text: mixedAnswer(500 + Math.floor(random() * 6000), 100 + i),
      maxBytes: [160, 197, 300, 400, 1000, 2048][i % 6]!, // the longest link is 136 bytes
      numbering: i % 2 === 0,
    }));

    for (const { text, maxBytes, numbering } of cases) {
      // act
      const parts = splitText(text, { maxBytes, numbering });

      // assess
      expectSoundSplit(text, parts, maxBytes, numbering);
    }
  });

  it('cuts at the paragraph break, not at the last sentence that fits', () => {
    // prepare
    const first = '第一段。'.repeat(10); // 120 bytes
    const second = 'Second paragraph. '.repeat(3); // 54 bytes
    const text = `${first}\n\n${second}`;

    // act
    const parts = splitText(text, { maxBytes: 150 });

    // assess
    expect(parts).toEqual([`${first}\n\n`, second]);
  });

  it('cuts a long Chinese paragraph after 。！？, not inside a sentence', () => {
    // prepare
    const text = '今天天气很好！你想出去玩吗？我们去公园吧。'.repeat(8);

    // act
    const parts = splitText(text, { maxBytes: 100 });

    // assess
    expectSoundSplit(text, parts, 100);
    for (const part of parts.slice(0, -1)) expect(part).toMatch(/[。！？]$/);
  });

  it('cuts at a word when a sentence is longer than a part', () => {
    // prepare
    const text = 'lorem ipsum dolor sit amet '.repeat(10).trim();

    // act
    const parts = splitText(text, { maxBytes: 64 });

    // assess
    expectSoundSplit(text, parts, 64);
    for (const part of parts.slice(0, -1)) expect(part).toMatch(/(^|\s)\S+\s$/);
  });

  it('cuts between graphemes as a last resort, never inside an emoji sequence', () => {
    // prepare: 50 families of 25 bytes each, nothing else
    const text = '👨‍👩‍👧‍👦'.repeat(50);

    // act
    const parts = splitText(text, { maxBytes: 60 });

    // assess
    expectSoundSplit(text, parts, 60);
    expect(parts.every((p) => p === '👨‍👩‍👧‍👦'.repeat(2))).toBe(true);
  });

  it('keeps combining marks with their letter and CR LF together', () => {
    // prepare: é as e + U+0301, Devanagari with its vowel signs, Windows line ends
    const text = 'Cafe\u0301 नमस्ते 😀\r\n'.repeat(40);

    // act
    const parts = splitText(text, { maxBytes: 50 });

    // assess
    expectSoundSplit(text, parts, 50);
    for (const part of parts) expect(part.startsWith('\n') || /^[\u0300-\u036f\u093e-\u094d]/.test(part)).toBe(false);
  });

  it('moves a link that would straddle the cut whole into the next part', () => {
    // prepare
    const link = '<a href="https://example.com/page">详情</a>';
    const text = `${'a'.repeat(50)}${link}${'b'.repeat(10)}`;

    // act
    const parts = splitText(text, { maxBytes: 70 });

    // assess
    expect(parts).toEqual(['a'.repeat(50), `${link}${'b'.repeat(10)}`]);
  });

  it('counts the numbering within the cap, with room for two-digit counts', () => {
    // prepare
    const text = 'word '.repeat(300); // 1500 bytes

    // act
    const parts = splitText(text, { maxBytes: 100, numbering: true });

    // assess
    expect(parts.length).toBeGreaterThanOrEqual(10);
    expect(parts[0]).toMatch(new RegExp(`^\\(1/${parts.length}\\) word`));
    expect(parts.at(-1)!.startsWith(partPrefix(parts.length, parts.length))).toBe(true);
    expectSoundSplit(text, parts, 100, true);
  });

  it('refuses a link longer than a part, naming the field and its size', () => {
    // prepare
    const link = `<a href="https://example.com/${'x'.repeat(200)}">long</a>`;

    // act
    const attempt = () => splitText(`intro ${link}`, { maxBytes: 100 });

    // assess
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(/text\.content: holds an <a> link of 239 bytes .* cannot be split without breaking it/);
  });

  it('refuses an empty text and a cap too small to hold a part', () => {
    // act + assess
    expect(() => splitText('')).toThrow(/text\.content: must not be empty/);
    expect(() => splitText('abc', { maxBytes: 3 })).toThrow(/maxBytes: must be an integer of at least 16/);
  });
});
