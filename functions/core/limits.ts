/**
 * WeChat's documented limits, as data.
 *
 * Every limit carries the value WeChat documents today (`current`) and the value of the 2017 seed
 * documents (`seed`), with where each comes from. Validation uses the `current` profile by default; it is
 * never stricter than WeChat is today, so a payload WeChat would accept is never refused here.
 *
 * @example
 * ```ts
 * import { limitsFor } from './limits';
 * const limits = limitsFor('current');
 * limits.newsArticles.max; // 1
 * ```
 */

/** Every rules profile: WeChat's current documentation, or the 2017 seed documents. */
export const RULES_PROFILES = ['current', 'seed'] as const;

/** Which set of rules to follow: WeChat's current documentation, or the 2017 seed documents. */
export type RulesProfile = (typeof RULES_PROFILES)[number];

/** One limit, with its value and the document it comes from. */
export interface Limit {
  readonly max: number;
  /** Said in error messages, e.g. "WeChat's current limit". */
  readonly source: string;
}

interface LimitEntry {
  readonly current: number;
  readonly seed: number;
  readonly what: string;
}

const CURRENT = "WeChat's current limit";
const SEED = 'the 2017 limit';

/**
 * The table of limits. Each row is one rule; adding a rule is adding a row.
 */
export const LIMIT_TABLE = {
  /** news.articles: 1 article today; 8 in the blog, 10 in the official 2017 page (the larger is kept). */
  newsArticles: { current: 1, seed: 10, what: 'articles in a news message' },
  /** kf nickname: ≤ 16 characters today; 2017: 6 Chinese or 12 Latin characters (12 is the looser bound). */
  nicknameLength: { current: 16, seed: 12, what: 'characters in a kf nickname' },
  /** kf_account as a whole, prefix@wechatid. */
  kfAccountLength: { current: 30, seed: 30, what: 'characters in a kf_account' },
  /** The part before `@`. */
  kfAccountPrefixLength: { current: 10, seed: 10, what: 'characters before the @ of a kf_account' },
  /** Kf accounts per official account. */
  kfAccountsPerApp: { current: 100, seed: 10, what: 'kf accounts per official account' },
  /** Avatar upload size, bytes. */
  avatarBytes: { current: 5 * 1024 * 1024, seed: 5 * 1024 * 1024, what: 'bytes in a kf avatar' },
  /** msgmenu items; WeChat documents no number, this is a sanity bound well above real menus. */
  menuItems: { current: 100, seed: 100, what: 'items in a msgmenu' },
} as const satisfies Record<string, LimitEntry>;

export type LimitName = keyof typeof LIMIT_TABLE;

/** The limits of one profile, each with its source. */
export type Limits = { readonly [K in LimitName]: Limit };

/**
 * The limits of a rules profile.
 *
 * @example
 * ```ts
 * limitsFor('seed').newsArticles; // { max: 10, source: 'the 2017 limit' }
 * ```
 */
export function limitsFor(profile: RulesProfile = 'current'): Limits {
  const out = {} as Record<LimitName, Limit>;
  for (const name of Object.keys(LIMIT_TABLE) as LimitName[]) {
    out[name] = { max: LIMIT_TABLE[name][profile], source: profile === 'current' ? CURRENT : SEED };
  }
  return out;
}
