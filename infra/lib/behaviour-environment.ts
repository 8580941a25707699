/**
 * The variables that set how the functions behave (send window, text cap, replies, handoff, AI label,
 * turns), from the construct's props: every function gets them, and an account's settings are laid over
 * them (docs/accounts.md, "Settings"), so the deploy-time accounts are checked against them too. A prop
 * left out is left out here, so that the functions' defaults (functions/context/config.ts) stay the one
 * source; the send window and token mode are always named.
 *
 * @example
 * ```ts
 * behaviourEnvironment({ replyMode: 'passive' }); // { WINDOW_POLICY: 'enforce', WINDOW_RULES: 'current', TOKEN_MODE: 'stable', REPLY_MODE: 'passive' }
 * ```
 */
import type { WeChatCustomerServiceProps } from './props';
import { turnEnvironment } from './turns';

export function behaviourEnvironment(props: WeChatCustomerServiceProps): Record<string, string> {
  return {
    WINDOW_POLICY: props.windowPolicy ?? 'enforce',
    WINDOW_RULES: props.windowRules ?? 'current',
    TOKEN_MODE: props.tokenMode ?? 'stable',
    ...(props.textMaxBytes !== undefined ? { TEXT_MAX_BYTES: String(props.textMaxBytes) } : {}),
    ...(props.deliveryRecordContent !== undefined ? { DELIVERY_RECORD_CONTENT: String(props.deliveryRecordContent) } : {}),
    ...(props.replyMode !== undefined ? { REPLY_MODE: props.replyMode } : {}),
    ...(props.passiveWaitMs !== undefined ? { PASSIVE_WAIT_MS: String(props.passiveWaitMs) } : {}),
    ...(props.passiveHoldText !== undefined ? { PASSIVE_HOLD_TEXT: props.passiveHoldText } : {}),
    ...(props.passiveKeepMs !== undefined ? { PASSIVE_KEEP_MS: String(props.passiveKeepMs) } : {}),
    ...(props.handoffKeywords !== undefined ? { HANDOFF_KEYWORDS: props.handoffKeywords } : {}),
    ...(props.handoffWhenOffline !== undefined ? { HANDOFF_WHEN_OFFLINE: props.handoffWhenOffline } : {}),
    ...(props.handoffOfflineText !== undefined ? { HANDOFF_OFFLINE_TEXT: props.handoffOfflineText } : {}),
    ...(props.aiLabelDefault !== undefined ? { AI_LABEL_DEFAULT: String(props.aiLabelDefault) } : {}),
    // Turns and the conversation history (docs/turns.md, docs/conversations.md), as set.
    ...turnEnvironment(props),
  };
}
