/**
 * Which events a subscription receives: a list of detail-types (`message.text`, `event.subscribe`,
 * `delivery.failed`), `<prefix>.*` wildcards (`message.*`), or `*` for all (the default).
 *
 * @example
 * ```ts
 * matchesEvents(['message.*'], 'message.text');    // true
 * matchesEvents(['event.subscribe'], 'event.CLICK'); // false
 * ```
 */
import { ValidationError } from '../errors';

/** Every event, the default of a subscription. */
export const ALL_EVENTS = '*';
/** Most patterns one subscription may list. */
export const MAX_EVENT_PATTERNS = 50;

const PATTERN = /^(\*|[A-Za-z][A-Za-z0-9_]{0,31}\.(\*|[A-Za-z0-9_]{1,64}))$/;

/**
 * Validates a subscription's `events`: absent or empty means all.
 *
 * @throws {ValidationError} naming `events` or `events[i]` and the rule.
 * @example
 * ```ts
 * parseEventPatterns(['message.*', 'event.subscribe']); // ['message.*', 'event.subscribe']
 * parseEventPatterns(undefined); // ['*']
 * ```
 */
export function parseEventPatterns(value: unknown): string[] {
  if (value === undefined || value === null) return [ALL_EVENTS];
  if (!Array.isArray(value))
    throw new ValidationError([{ field: 'events', rule: 'must be an array of event types, e.g. ["message.text", "message.*"]' }]);
  if (value.length > MAX_EVENT_PATTERNS)
    throw new ValidationError([{ field: 'events', rule: `must list at most ${MAX_EVENT_PATTERNS} event types` }]);
  const issues = value.flatMap((p, i) =>
    typeof p === 'string' && PATTERN.test(p)
      ? []
      : [
          {
            field: `events[${i}]`,
            rule: 'must be an event type such as "message.text" or "event.subscribe", a wildcard such as "message.*", or "*"',
          },
        ],
  );
  if (issues.length) throw new ValidationError(issues);
  const unique = [...new Set(value as string[])];
  return unique.length === 0 || unique.includes(ALL_EVENTS) ? [ALL_EVENTS] : unique;
}

/**
 * Whether an event of `detailType` goes to a subscription with these patterns.
 *
 * @example
 * ```ts
 * matchesEvents(['*'], 'delivery.failed'); // true
 * ```
 */
export function matchesEvents(patterns: readonly string[], detailType: string): boolean {
  return patterns.some((p) => p === ALL_EVENTS || p === detailType || (p.endsWith('.*') && detailType.startsWith(p.slice(0, -1))));
}
