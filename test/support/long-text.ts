/**
 * A long model-style answer for the split tests: Chinese and English paragraphs, emoji of every awkward
 * kind (ZWJ families, skin tones, flags, keycaps), and `<a>` links, including mini program links. Seeded,
 * so every run builds the same text.
 */

/** A small deterministic PRNG (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHINESE = [
  '你好，这是一个很长的回答。',
  '今天的天气非常好！',
  '你想知道更多吗？',
  '我们可以一起看看这个问题的细节。',
  '请注意：价格可能会变化。',
  '谢谢你的耐心等待！',
];
const ENGLISH = [
  'Here is what I found. ',
  'The answer depends on your plan, e.g. the basic one costs 3.14 per month! ',
  'Would you like more details? ',
  'Please check the attached link before you decide. ',
];
const EMOJI = ['👨‍👩‍👧‍👦', '👍🏽', '🇨🇳', '1️⃣', '❤️', '🧑🏻‍💻', '😀', '🏳️‍🌈'];
const LINKS = [
  '<a href="https://example.com/docs?page=1&lang=zh">查看文档</a>',
  '<a href="https://example.com/a/very/long/path/that/goes/on/and/on/for/a/while/to/make/the/link/long">the full guide 👉</a>',
  '<a href="http://www.qq.com" data-miniprogram-appid="wx1234567890abcdef" data-miniprogram-path="pages/index/index">点击跳小程序</a>',
];

/**
 * A text of at least `bytes` bytes of UTF-8.
 *
 * @example
 * ```ts
 * const answer = mixedAnswer(10_000);
 * ```
 */
export function mixedAnswer(bytes: number, seed = 15): string {
  const random = seeded(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const paragraphs: string[] = [];
  let size = 0;
  while (size < bytes) {
    const sentences: string[] = [];
    const count = 2 + Math.floor(random() * 12);
    for (let i = 0; i < count; i++) {
      const r = random();
      if (r < 0.45) sentences.push(pick(CHINESE));
      else if (r < 0.75) sentences.push(pick(ENGLISH));
      else if (r < 0.9) sentences.push(`${pick(EMOJI)}${pick(EMOJI)} `);
      else sentences.push(`${pick(LINKS)} `);
    }
    const paragraph = sentences.join('');
    paragraphs.push(random() < 0.2 ? paragraph.replace(/。/g, '。\n') : paragraph);
    size += Buffer.byteLength(paragraph, 'utf8') + 2;
  }
  return paragraphs.join('\n\n');
}
