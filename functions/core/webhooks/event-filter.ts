/**
 * Which events a subscription receives: a list of detail-types (`message.text`, `event.subscribe`,
 * `delivery.failed`), `<prefix>.*` wildcards (`message.*`), or `*` for all (the default); and, with
 * `appIds`, only those of these official accounts (their `detail.appId`; absent: every account,
 * docs/webhooks.md "Filtering by account").
 *
 * @example
 * ```ts
 * matchesEvents(['message.*'], 'message.text');    // true
 * matchesEvents(['event.subscribe'], 'event.CLICK'); // false
 * ```
 */
import { APP_ID_SHAPE, isAppId } from '../accounts';
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

/** Most accounts one subscription may name in `appIds` (a deployment serves up to 100 accounts). */
export const MAX_APP_IDS = 100;

/**
 * Validates a subscription's `appIds`: `undefined` when absent (every account); otherwise 1 to
 * {@link MAX_APP_IDS} distinct AppIDs, in the order given.
 *
 * @throws {ValidationError} naming `appIds` or `appIds[i]` and the rule.
 * @example
 * ```ts
 * parseAppIds(['wx0123456789abcdef']); // ['wx0123456789abcdef']
 * parseAppIds(undefined); // undefined: every account
 * parseAppIds([]); // throws: appIds: must list 1 to 100 AppIDs …
 * ```
 */
export function parseAppIds(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    throw new ValidationError([
      { field: 'appIds', rule: 'must be an array of AppIDs, e.g. ["wx0123456789abcdef"]; leave it out for every account' },
    ]);
  if (value.length === 0 || value.length > MAX_APP_IDS)
    throw new ValidationError([{ field: 'appIds', rule: `must list 1 to ${MAX_APP_IDS} AppIDs; leave it out for every account` }]);
  const seen = new Map<string, number>();
  const issues = value.flatMap((v, i) => {
    if (typeof v !== 'string') return [{ field: `appIds[${i}]`, rule: `must be a string, an AppID: ${APP_ID_SHAPE}` }];
    if (!isAppId(v)) return [{ field: `appIds[${i}]`, rule: `must be an AppID: ${APP_ID_SHAPE}` }];
    const first = seen.get(v);
    if (first !== undefined) return [{ field: `appIds[${i}]`, rule: `must not repeat appIds[${first}]` }];
    seen.set(v, i);
    return [];
  });
  if (issues.length) throw new ValidationError(issues);
  return value as string[];
}

/**
 * Whether an event of this detail goes to a subscription with these `appIds`: every event when there are
 * none; else only an event whose `detail.appId` is one of them (an event naming no account matches no
 * filter: every event the product publishes names one).
 *
 * @example
 * ```ts
 * matchesAccount(undefined, { appId: 'wxB' }); // true
 * matchesAccount(['wxA'], { appId: 'wxB' }); // false
 * ```
 */
export function matchesAccount(appIds: readonly string[] | undefined, detail: Record<string, unknown> | undefined): boolean {
  if (appIds === undefined) return true;
  const appId = detail?.appId;
  return typeof appId === 'string' && appIds.includes(appId);
}
