/**
 * The AI label of a send (docs/ai-label.md): WeChat shows "内容由第三方AI生成" under a customer-service
 * message whose body carries `"aimsgcontext": {"is_ai_msg": 1}` (China's rules on labelling AI-generated
 * content apply since 2025-09-01). A caller's own `aimsgcontext` passes through unchanged (checked: an
 * object whose `is_ai_msg`, when given, is 0 or 1). The product's option `aiGenerated` (true / false, also
 * `"true"` / `"false"` from a query string) sets it: `true` adds `is_ai_msg: 1`, `false` leaves the body
 * unlabelled (an `aimsgcontext` given beside it keeps `is_ai_msg: 0`); absent, AI_LABEL_DEFAULT decides.
 * The option is read where the message is parsed, so every part of a split text, every surface (HTTP
 * body and `?aiGenerated=`, EventBridge detail, SQS message, n8n) and every delivery record sees the label.
 *
 * @example
 * ```ts
 * applyAiLabel({ touser, msgtype: 'text', text: { content: 'hi' }, aiGenerated: true }, false);
 * // { touser, msgtype: 'text', text: { content: 'hi' }, aimsgcontext: { is_ai_msg: 1 } }
 * ```
 */
import { ValidationError } from './errors';
import { typeName } from './validation';

/** WeChat's label object. */
export interface AiMsgContext {
  is_ai_msg?: 0 | 1;
  [field: string]: unknown;
}

/**
 * Reads the `aiGenerated` option: a boolean, or `"true"` / `"false"` (a query string); undefined when absent.
 *
 * @throws {ValidationError} naming `aiGenerated` for anything else.
 */
export function parseAiGenerated(value: unknown): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ValidationError([{ field: 'aiGenerated', rule: `must be true or false, got ${typeName(value)} ${JSON.stringify(value)}` }]);
}

function checkAiMsgContext(value: unknown): AiMsgContext | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError([{ field: 'aimsgcontext', rule: `must be an object {"is_ai_msg": 0 or 1}, got ${typeName(value)}` }]);
  }
  const isAi = (value as AiMsgContext).is_ai_msg;
  if (isAi !== undefined && isAi !== 0 && isAi !== 1) {
    throw new ValidationError([
      { field: 'aimsgcontext.is_ai_msg', rule: `must be 0 or 1 (1: WeChat shows 内容由第三方AI生成), got ${JSON.stringify(isAi)}` },
    ]);
  }
  return value as AiMsgContext;
}

/**
 * The send body with the label applied and the `aiGenerated` option removed (WeChat never gets it).
 * Answers the input object itself when there is nothing to change.
 *
 * @param labelDefault AI_LABEL_DEFAULT: whether a send that does not say `aiGenerated` is labelled.
 * @throws {ValidationError} for an `aiGenerated` that is not a boolean, or an `aimsgcontext` WeChat would refuse.
 */
export function applyAiLabel<T extends Record<string, unknown>>(
  input: T,
  labelDefault = false,
): Omit<T, 'aiGenerated'> & { aimsgcontext?: AiMsgContext } {
  const asked = parseAiGenerated(input.aiGenerated);
  const given = checkAiMsgContext(input.aimsgcontext);
  const label = asked ?? (given?.is_ai_msg === undefined ? labelDefault : undefined);
  if (!('aiGenerated' in input) && label !== true) return input;
  const { aiGenerated: _option, ...rest } = input;
  if (label === true) return { ...rest, aimsgcontext: { ...given, is_ai_msg: 1 } };
  if (label === false && given) return { ...rest, aimsgcontext: { ...given, is_ai_msg: 0 } };
  return rest;
}

/**
 * The `aimsgcontext` of a send body, for its delivery record: `{aimsgcontext}` or nothing.
 *
 * @example
 * ```ts
 * aiLabelOf({ aimsgcontext: { is_ai_msg: 1 } }); // { aimsgcontext: { is_ai_msg: 1 } }
 * ```
 */
export function aiLabelOf(body: Record<string, unknown>): { aimsgcontext?: Record<string, unknown> } {
  const ctx = body.aimsgcontext;
  return typeof ctx === 'object' && ctx !== null && !Array.isArray(ctx) ? { aimsgcontext: ctx as Record<string, unknown> } : {};
}
