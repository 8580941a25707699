/**
 * The doctor's report of what the callback and the sends will do (not WeChat's verdict on anything): the
 * keyword handoff rules configured (docs/handoff.md, "Keyword handoff") and the AI label default
 * (docs/ai-label.md). A wrong setting fails with the message the product would stop with at startup.
 *
 * @example
 * ```ts
 * behaviourChecks({ HANDOFF_KEYWORDS: '转人工=agent1@wx', AI_LABEL_DEFAULT: 'true' });
 * // [{ id: 'handoffKeywords', status: 'pass', detail: '1 rule: 转人工 → agent1@wx (exact); ...' }, { id: 'aiLabel', ... }]
 * ```
 */
import { describeHandoffKeywords } from '../../core/inbound/handoff-keywords';
import { handoffConfig } from '../../context/config';
import type { DoctorCheck } from './checks';

/** The variables read. */
export interface BehaviourSettings {
  HANDOFF_KEYWORDS?: string;
  HANDOFF_WHEN_OFFLINE?: string;
  HANDOFF_OFFLINE_TEXT?: string;
  AI_LABEL_DEFAULT?: string;
}

/** The variables of {@link BehaviourSettings} from an environment. */
export function behaviourSettingsOf(env: NodeJS.ProcessEnv): BehaviourSettings {
  const { HANDOFF_KEYWORDS, HANDOFF_WHEN_OFFLINE, HANDOFF_OFFLINE_TEXT, AI_LABEL_DEFAULT } = env;
  return { HANDOFF_KEYWORDS, HANDOFF_WHEN_OFFLINE, HANDOFF_OFFLINE_TEXT, AI_LABEL_DEFAULT };
}

/** The keyword handoff and AI label checks. */
export function behaviourChecks(settings: BehaviourSettings): DoctorCheck[] {
  return [keywordCheck(settings), aiLabelCheck(settings.AI_LABEL_DEFAULT)];
}

function keywordCheck(settings: BehaviourSettings): DoctorCheck {
  const base = { id: 'handoffKeywords', title: 'Keyword handoff (HANDOFF_KEYWORDS)' };
  try {
    const config = handoffConfig({ ...settings });
    if (config.keywords.length === 0) return { ...base, status: 'pass', detail: 'no keyword: only POST /handoff hands a user to the desk' };
    const offline =
      config.whenOffline === 'reply'
        ? `with no agent online the user gets HANDOFF_OFFLINE_TEXT (${Buffer.byteLength(config.offlineText ?? '', 'utf8')} bytes)`
        : 'with no agent online the user is transferred anyway (WeChat queues them)';
    const n = config.keywords.length;
    return { ...base, status: 'pass', detail: `${n} rule${n === 1 ? '' : 's'}: ${describeHandoffKeywords(config.keywords)}; ${offline}` };
  } catch (error) {
    return {
      ...base,
      status: 'fail',
      detail: (error as Error).message,
      fix: 'Correct the variable (docs/handoff.md, "Keyword handoff"): the product refuses to start with it.',
    };
  }
}

function aiLabelCheck(value: string | undefined): DoctorCheck {
  const base = { id: 'aiLabel', title: 'AI label default (AI_LABEL_DEFAULT)' };
  if (value === undefined || value === '' || value === 'false') {
    return { ...base, status: 'pass', detail: 'off: only sends with "aiGenerated": true carry 内容由第三方AI生成' };
  }
  if (value === 'true')
    return { ...base, status: 'pass', detail: 'on: every send carries 内容由第三方AI生成 unless it says "aiGenerated": false' };
  return {
    ...base,
    status: 'fail',
    detail: `AI_LABEL_DEFAULT must be true or false, got ${JSON.stringify(value)}`,
    fix: 'Set AI_LABEL_DEFAULT to true or false (docs/ai-label.md).',
  };
}
