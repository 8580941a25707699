/**
 * The doctor reports keyword handoff and the AI label default as configured (functions/dev/doctor/
 * behaviour-checks.ts), and fails, with the product's own startup message, on a setting the product
 * would refuse.
 */
import { runDoctor } from '../../functions/dev/doctor/checks';

describe('the doctor on keyword handoff and the AI label', () => {
  const checksOf = async (behaviour: Record<string, string | undefined>) => {
    const report = await runDoctor({ behaviour });
    return Object.fromEntries(report.checks.filter((c) => c.id === 'handoffKeywords' || c.id === 'aiLabel').map((c) => [c.id, c]));
  };

  it('lists the rules, what happens out of hours and the label default', async () => {
    const checks = await checksOf({
      HANDOFF_KEYWORDS: '转人工=agent1@wx, *人工客服*',
      HANDOFF_WHEN_OFFLINE: 'reply',
      HANDOFF_OFFLINE_TEXT: 'back at 9',
      AI_LABEL_DEFAULT: 'true',
    });

    expect(checks.handoffKeywords).toMatchObject({
      status: 'pass',
      detail:
        '2 rules: 转人工 → agent1@wx (exact), *人工客服* (substring); with no agent online the user gets HANDOFF_OFFLINE_TEXT (9 bytes)',
    });
    expect(checks.aiLabel).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^on: every send carries 内容由第三方AI生成/) });
  });

  it('says when nothing is configured, and fails on what the product would refuse at startup', async () => {
    const none = await checksOf({});
    const wrong = await checksOf({ HANDOFF_KEYWORDS: '/(a+)+/', AI_LABEL_DEFAULT: 'yes' });

    expect(none.handoffKeywords).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^no keyword/) });
    expect(none.aiLabel).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^off/) });
    expect(wrong.handoffKeywords).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('HANDOFF_KEYWORDS: the rule "/(a+)+/"'),
    });
    expect(wrong.aiLabel).toMatchObject({ status: 'fail', detail: 'AI_LABEL_DEFAULT must be true or false, got "yes"' });
  });
});
