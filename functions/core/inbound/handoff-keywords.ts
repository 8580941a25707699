/**
 * Keyword handoff (docs/handoff.md, "Keyword handoff"): HANDOFF_KEYWORDS, a list of rules, each an exact
 * word (`转人工`: the whole message), a substring (`*人工*`: anywhere in it) or a `/regex/`, optionally
 * naming the kf account to transfer to (`转人工=agent1@mywechatid`). Rules are separated by commas
 * (`,` or `，`) or new lines; a regex runs to its closing `/`, so it may hold commas.
 *
 * Matching folds what users type differently for the same word: spaces at both ends are trimmed (the
 * ideographic space too), full-width Latin letters and digits (`ＨＵＭＡＮ`) read as ASCII, and Latin
 * letters ignore case. A regex is tested against that folded text (lower case), with the `i` flag.
 *
 * Regexes come from configuration but run on every text a user writes, so they are held to what cannot
 * backtrack without end: at most {@link MAX_REGEX_CHARS} characters, no back-references or lookbehind, and
 * no group repeated without bound that itself holds a quantifier or an alternation (`(a+)+`, `(a|aa)*`, the shapes of
 * catastrophic backtracking); and the text tested is at most {@link MAX_TESTED_CHARS} characters (WeChat's
 * text limit is 2048 bytes). A rule that breaks one of these is refused at startup, naming it.
 *
 * @example
 * ```ts
 * const rules = parseHandoffKeywords('转人工=agent1@wx, *人工客服*, /^(human|agent)$/');
 * matchHandoffKeyword(rules, ' ＨＵＭＡＮ '); // { rule: '/^(human|agent)$/', kind: 'regex', ... }
 * ```
 */
import { ConfigurationError } from '../errors';

/** The longest regex source accepted, in characters. */
export const MAX_REGEX_CHARS = 200;
/** The longest text a rule is tested against: the rest of a longer message is not read. */
export const MAX_TESTED_CHARS = 2048;
/** The most rules. */
export const MAX_RULES = 100;

/** One rule of HANDOFF_KEYWORDS. */
export interface HandoffKeywordRule {
  /** The rule as written (without its kf account), e.g. `转人工`, `*人工*`, `/^human$/`. */
  rule: string;
  kind: 'exact' | 'substring' | 'regex';
  /** The kf account the transfer names, when the rule gives one. */
  kfAccount?: string;
  /** What is compared: the folded word, or the regex. */
  test: (folded: string) => boolean;
}

/**
 * Folds a text for matching: trims spaces (ASCII and ideographic), reads full-width ASCII as ASCII, and
 * lower-cases Latin letters (only them: other scripts keep their case).
 *
 * @example
 * ```ts
 * foldForMatching('　ＴＲＡＮＳＦＥＲ Me '); // 'transfer me'
 * ```
 */
export function foldForMatching(text: string): string {
  return text
    .slice(0, MAX_TESTED_CHARS)
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .trim()
    .replace(/[A-Z]/g, (c) => c.toLowerCase());
}

const KF_ACCOUNT = /^[A-Za-z0-9_]{1,10}@[^@\s]+$/;

function refuse(rule: string, why: string): never {
  throw new ConfigurationError(`HANDOFF_KEYWORDS: the rule ${JSON.stringify(rule)} ${why}`);
}

/**
 * Whether a regex source has a shape that can backtrack without end: a back-reference, a lookbehind, or a
 * group repeated without bound (`*`, `+`, `{n,}`) that holds a quantifier or an alternation.
 */
export function unsafeRegexReason(source: string): string | undefined {
  if (source.length > MAX_REGEX_CHARS) return `is longer than ${MAX_REGEX_CHARS} characters`;
  if (/\\[1-9]|\\k</.test(source)) return 'uses a back-reference, which may backtrack without end';
  if (/\(\?<[=!]/.test(source)) return 'uses a lookbehind';
  // Walk the groups: for each one closed and then quantified, look at what it holds.
  const open: number[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      // Skip a character class: its `(`, `|` and `+` are literal.
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      continue;
    }
    if (c === '(') open.push(i);
    if (c === ')') {
      const start = open.pop();
      if (start === undefined) continue;
      const after = source.slice(i + 1);
      if (!/^(\*|\+|\{\d+,\})/.test(after)) continue;
      const inner = source
        .slice(start + 1, i)
        .replace(/\\./g, '')
        .replace(/\[[^\]]*\]/g, 'x');
      if (/[*+?|]|\{\d+,?\d*\}/.test(inner.replace(/^\?:/, ''))) {
        return 'repeats a group that itself repeats or alternates (like (a+)+ or (a|aa)*), which may backtrack without end';
      }
    }
  }
  return undefined;
}

function regexRule(rule: string): (folded: string) => boolean {
  const last = rule.lastIndexOf('/');
  const source = rule.slice(1, last);
  const flags = rule.slice(last + 1);
  if (source === '') refuse(rule, 'is an empty regex');
  if (!/^[imsu]*$/.test(flags))
    refuse(rule, `has flags ${JSON.stringify(flags)}: only i, m, s and u are allowed (g and y keep state between messages)`);
  const unsafe = unsafeRegexReason(source);
  if (unsafe) refuse(rule, unsafe);
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags.includes('i') ? flags : `${flags}i`);
  } catch (error) {
    refuse(rule, `is not a valid regex: ${(error as Error).message}`);
  }
  return (folded) => regex.test(folded);
}

/** The index of the `/` that closes a regex opened at `start`: the next unescaped one outside a class, or -1. */
function regexClose(text: string, start: number): number {
  let inClass = false;
  for (let j = start + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) return j;
  }
  return -1;
}

/** Splits the setting into rules: commas or new lines, except inside a /regex/. */
function splitRules(setting: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < setting.length) {
    while (i < setting.length && /[\s,，]/.test(setting[i]!)) i++;
    if (i >= setting.length) break;
    let j = i;
    if (setting[i] === '/') {
      j = regexClose(setting, i);
      if (j < 0) refuse(setting.slice(i, i + 40), 'starts a /regex/ that is never closed with /');
    }
    while (j < setting.length && !/[,，\n]/.test(setting[j]!)) j++;
    out.push(setting.slice(i, j).trim());
    i = j;
  }
  return out;
}

/**
 * Reads HANDOFF_KEYWORDS into rules (see the module comment for the syntax). Empty or unset: no rule.
 *
 * @throws {ConfigurationError} naming the rule and what is wrong with it: an empty word, an invalid kf
 *   account, an invalid or unsafe regex, more than {@link MAX_RULES} rules.
 * @example
 * ```ts
 * parseHandoffKeywords('转人工=agent1@wx, human').map((r) => [r.rule, r.kfAccount]); // [['转人工', 'agent1@wx'], ['human', undefined]]
 * ```
 */
export function parseHandoffKeywords(setting: string | undefined): HandoffKeywordRule[] {
  if (!setting || setting.trim() === '') return [];
  const rules = splitRules(setting).map((written): HandoffKeywordRule => {
    // The kf account follows the first `=` (after a regex's closing `/`: a regex may hold `=` itself).
    const eq = written.indexOf('=', written.startsWith('/') ? regexClose(written, 0) : 0);
    const rule = (eq >= 0 ? written.slice(0, eq) : written).trim();
    const kfAccount = eq >= 0 ? written.slice(eq + 1).trim() : undefined;
    if (kfAccount !== undefined && !KF_ACCOUNT.test(kfAccount))
      refuse(written, 'names a kf account that is not prefix@wechatid (e.g. 转人工=agent1@mywechatid)');
    const kf = kfAccount ? { kfAccount } : {};
    if (rule.startsWith('/')) return { rule, kind: 'regex', ...kf, test: regexRule(rule) };
    if (rule.length > 2 && rule.startsWith('*') && rule.endsWith('*')) {
      const word = foldForMatching(rule.slice(1, -1));
      if (word === '') refuse(written, 'is an empty substring');
      return { rule, kind: 'substring', ...kf, test: (folded) => folded.includes(word) };
    }
    const word = foldForMatching(rule);
    if (word === '' || word === '*' || word === '**') refuse(written, 'is empty: write a word, *a substring* or /a regex/');
    return { rule, kind: 'exact', ...kf, test: (folded) => folded === word };
  });
  if (rules.length > MAX_RULES) throw new ConfigurationError(`HANDOFF_KEYWORDS has ${rules.length} rules: at most ${MAX_RULES}`);
  return rules;
}

/**
 * The first rule a user's text matches, or undefined.
 *
 * @example
 * ```ts
 * matchHandoffKeyword(parseHandoffKeywords('*人工*'), '我要人工客服')?.rule; // '*人工*'
 * ```
 */
export function matchHandoffKeyword(rules: readonly HandoffKeywordRule[], text: string): HandoffKeywordRule | undefined {
  if (rules.length === 0) return undefined;
  const folded = foldForMatching(text);
  return rules.find((r) => r.test(folded));
}

/** What the doctor and the docs show of the rules: each as written, with its kind and kf account. */
export function describeHandoffKeywords(rules: readonly HandoffKeywordRule[]): string {
  return rules.map((r) => `${r.rule}${r.kfAccount ? ` → ${r.kfAccount}` : ''} (${r.kind})`).join(', ');
}
