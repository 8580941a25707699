/**
 * HANDOFF_KEYWORDS (functions/core/inbound/handoff-keywords.ts): the syntax (exact words, *substrings*,
 * /regexes/, =kf account), the folding of what users type (spaces, case and width of Latin letters), and
 * the refusal at startup of rules that are wrong or could backtrack without end.
 */
import { ConfigurationError } from '../../functions/core/errors';
import { foldForMatching, matchHandoffKeyword, parseHandoffKeywords, unsafeRegexReason } from '../../functions/core/inbound';
import { configFromEnv } from '../../functions/context/config';

describe('parseHandoffKeywords', () => {
  it('reads words, substrings and regexes (commas inside a regex included), each with its optional kf account', () => {
    const rules = parseHandoffKeywords('转人工=agent1@wx，*人工客服*\n/^(human|agent){1,2}$/=kf2@wx, /a=b/, human');

    expect(rules.map((r) => [r.rule, r.kind, r.kfAccount])).toEqual([
      ['转人工', 'exact', 'agent1@wx'],
      ['*人工客服*', 'substring', undefined],
      ['/^(human|agent){1,2}$/', 'regex', 'kf2@wx'],
      ['/a=b/', 'regex', undefined],
      ['human', 'exact', undefined],
    ]);
    expect(parseHandoffKeywords(undefined)).toEqual([]);
    expect(parseHandoffKeywords('  ')).toEqual([]);
  });

  it('matches whole words exactly, substrings anywhere, ignoring spaces at the ends and the case and width of Latin letters', () => {
    const rules = parseHandoffKeywords('转人工, *人工客服*, human, /^agent\\s+please$/');
    const match = (text: string) => matchHandoffKeyword(rules, text)?.rule;

    expect(match('　转人工 ')).toBe('转人工');
    expect(match('转人工吧')).toBeUndefined();
    expect(match('请给我人工客服')).toBe('*人工客服*');
    expect(match('ＨＵＭＡＮ')).toBe('human');
    expect(match(' Human ')).toBe('human');
    expect(match('humans')).toBeUndefined();
    expect(match('AGENT   Please')).toBe('/^agent\\s+please$/');
    expect(foldForMatching('　ＴＲＡＮＳＦＥＲ Me ')).toBe('transfer me');
    // Only Latin letters fold: other scripts keep their case.
    expect(foldForMatching('ΑΒΓ')).toBe('ΑΒΓ');
  });

  it('refuses, naming the rule, an invalid kf account, an empty rule, an invalid regex, a stateful flag and an unclosed regex', () => {
    const refusal = (setting: string) => {
      try {
        parseHandoffKeywords(setting);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as Error).message;
      }
      throw new Error(`${setting} was accepted`);
    };

    expect(refusal('转人工=not-an-account')).toMatch(/"转人工=not-an-account".*prefix@wechatid/);
    expect(refusal('**')).toMatch(/empty/);
    expect(refusal('/(unclosed/')).toMatch(/not a valid regex/);
    expect(refusal('/human/g')).toMatch(/flags "g"/);
    expect(refusal('/human')).toMatch(/never closed/);
    expect(refusal(`/${'a'.repeat(201)}/`)).toMatch(/longer than 200/);
  });

  it('refuses regexes shaped for catastrophic backtracking, and accepts the ordinary ones', () => {
    for (const source of ['(a+)+$', '(a|aa)*b', '(\\w+\\s?)*$', '(.*a){2,}', '(a)\\1', '(?<=x)y'])
      expect(unsafeRegexReason(source)).toBeDefined();
    for (const source of ['^(human|agent)$', '人工(客服)?', '^agent\\s+please$', '[(+*)]+', '(ab)+', 'a{1,3}b'])
      expect(unsafeRegexReason(source)).toBeUndefined();
  });

  it('stops the product at startup on a wrong rule, HANDOFF_WHEN_OFFLINE=reply without a text, or a text too long', () => {
    expect(() => configFromEnv({ HANDOFF_KEYWORDS: '/(a+)+/' })).toThrow(/HANDOFF_KEYWORDS: the rule "\/\(a\+\)\+\/" repeats a group/);
    expect(() => configFromEnv({ HANDOFF_WHEN_OFFLINE: 'reply' })).toThrow(/needs HANDOFF_OFFLINE_TEXT/);
    expect(() => configFromEnv({ HANDOFF_WHEN_OFFLINE: 'sometimes' })).toThrow(/HANDOFF_WHEN_OFFLINE must be one of queue, reply/);
    expect(() => configFromEnv({ HANDOFF_WHEN_OFFLINE: 'reply', HANDOFF_OFFLINE_TEXT: '字'.repeat(700) })).toThrow(/at most 2048 bytes/);
    expect(
      configFromEnv({ HANDOFF_KEYWORDS: '转人工=agent1@wx', HANDOFF_WHEN_OFFLINE: 'reply', HANDOFF_OFFLINE_TEXT: 'back at 9' }).handoff,
    ).toMatchObject({
      keywords: [{ rule: '转人工', kfAccount: 'agent1@wx' }],
      whenOffline: 'reply',
      offlineText: 'back at 9',
    });
  });
});
