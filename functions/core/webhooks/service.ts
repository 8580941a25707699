/**
 * What the subscription operations of the catalogue need from the product (core/catalogue's
 * `OperationServices.subscriptions`): the handlers supply it from the table, the sealer and the address
 * policy (functions/webhooks/subscriptions-api.ts); n8n's direct mode has none.
 *
 * @example
 * ```ts
 * const created = await services.subscriptions!.create({ url, events: ['message.*'] });
 * ```
 */
import { ValidationError } from '../errors';
import { parseAppIds, parseEventPatterns } from './event-filter';
import { parseWebhookUrl } from './url-text';

/** A create's input, checked for shape (the deployment's URL rules are applied by `create`). */
export interface SubscriptionInput {
  url: string;
  events: string[];
  description?: string;
  /** Only the events of these official accounts (their `detail.appId`); absent: every account. */
  appIds?: string[];
}

export interface SubscriptionsService {
  /** Stores a subscription; the answer holds the secret, the only time it is shown. */
  create(input: SubscriptionInput): Promise<Record<string, unknown>>;
  list(): Promise<Record<string, unknown>>;
  get(id: string): Promise<Record<string, unknown>>;
  delete(id: string): Promise<Record<string, unknown>>;
  /** Changes `events`, `description` and/or `appIds`; the URL and the secret stay. */
  update(input: SubscriptionChange): Promise<Record<string, unknown>>;
  /** A new secret, shown once; the old one keeps signing beside it for 24 hours. */
  rotateSecret(id: string): Promise<Record<string, unknown>>;
  /** The deliveries given up on, oldest first. */
  deadLetters(input: DeadLetterQuery): Promise<Record<string, unknown>>;
  /** Queues the dead letters again (up to 100 a call). */
  redrive(id: string): Promise<Record<string, unknown>>;
  /** Queues a `webhook.test` event to this subscription alone. */
  test(id: string): Promise<Record<string, unknown>>;
}

/**
 * A PATCH's input: the id and at least one of `events`, `description` (`null` or `""` removes it),
 * `appIds` (`null` removes the filter: every account again).
 */
export interface SubscriptionChange {
  id: string;
  events?: string[];
  description?: string | null;
  appIds?: string[] | null;
}

/** A dead-letter page's input. */
export interface DeadLetterQuery {
  id: string;
  limit?: number;
  cursor?: string;
}

/** Longest description kept. */
export const MAX_DESCRIPTION_LENGTH = 500;
const SUBSCRIPTION_ID = /^sub_[A-Za-z0-9]{20}$/;

/**
 * Parses `{url, events?, description?, appIds?}` and nothing else (`appIds` null is the same as absent:
 * every account).
 *
 * @throws {ValidationError} naming each field and rule.
 * @example
 * ```ts
 * parseSubscriptionInput({ url: 'https://hooks.example.com/x' }); // { url, events: ['*'] }
 * ```
 */
export function parseSubscriptionInput(input: unknown): SubscriptionInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError([{ field: '(body)', rule: 'must be a JSON object {url, events?, description?, appIds?}' }]);
  }
  const body = input as Record<string, unknown>;
  const unknown = Object.keys(body).filter((k) => !['url', 'events', 'description', 'appIds'].includes(k));
  if (unknown.length)
    throw new ValidationError(
      unknown.map((field) => ({ field, rule: 'is not a field of a subscription (url, events, description, appIds)' })),
    );
  const url = parseWebhookUrl(body.url).toString();
  const events = parseEventPatterns(body.events);
  if (body.description !== undefined && body.description !== null && typeof body.description !== 'string') {
    throw new ValidationError([{ field: 'description', rule: 'must be a string' }]);
  }
  const description = typeof body.description === 'string' ? body.description.trim() : '';
  if (description.length > MAX_DESCRIPTION_LENGTH)
    throw new ValidationError([{ field: 'description', rule: `must be at most ${MAX_DESCRIPTION_LENGTH} characters` }]);
  const appIds = parseAppIds(body.appIds ?? undefined);
  return { url, events, ...(description ? { description } : {}), ...(appIds ? { appIds } : {}) };
}

/**
 * Parses `{id}` (a path parameter): a subscription id, `sub_` and 20 letters or digits.
 *
 * @throws {ValidationError} when it is missing or malformed.
 */
export function parseSubscriptionIdInput(input: unknown): { id: string } {
  const id = (input as Record<string, unknown> | null)?.id;
  if (typeof id !== 'string' || id === '') throw new ValidationError([{ field: 'id', rule: 'is required: the subscription id (sub_…)' }]);
  if (!SUBSCRIPTION_ID.test(id))
    throw new ValidationError([{ field: 'id', rule: 'must be a subscription id: sub_ and 20 letters or digits' }]);
  return { id };
}

/**
 * Parses `{id, events?, description?, appIds?}` for PATCH /subscriptions/{id}: at least one of the three
 * (`appIds: null` removes the account filter); `url` and
 * `secret` cannot be changed here (a new URL is a new subscription: its rules are checked when it is made;
 * a new secret is POST /subscriptions/{id}/rotate-secret).
 *
 * @throws {ValidationError} naming each field and rule.
 * @example
 * ```ts
 * parseSubscriptionChange({ id: 'sub_…', events: ['message.*'] }); // { id, events: ['message.*'] }
 * ```
 */
export function parseSubscriptionChange(input: unknown): SubscriptionChange {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError([{ field: '(body)', rule: 'must be a JSON object {events?, description?, appIds?}' }]);
  }
  const body = input as Record<string, unknown>;
  const { id } = parseSubscriptionIdInput(body);
  const issues = Object.keys(body).flatMap((field) =>
    field === 'url'
      ? [{ field, rule: 'cannot be changed: create a subscription to the new URL and delete this one' }]
      : field === 'secret'
        ? [{ field, rule: 'cannot be set: POST /subscriptions/{id}/rotate-secret gives a new one' }]
        : ['id', 'events', 'description', 'appIds'].includes(field)
          ? []
          : [{ field, rule: 'is not a field that can be changed (events, description, appIds)' }],
  );
  if (issues.length) throw new ValidationError(issues);
  if (body.events === undefined && body.description === undefined && body.appIds === undefined) {
    throw new ValidationError([{ field: '(body)', rule: 'must change events, description or appIds' }]);
  }
  const change: SubscriptionChange = { id };
  if (body.events !== undefined) {
    if (body.events === null)
      throw new ValidationError([{ field: 'events', rule: 'must be an array of event types; [] or ["*"] means all' }]);
    change.events = parseEventPatterns(body.events);
  }
  if (body.description !== undefined) {
    if (body.description !== null && typeof body.description !== 'string')
      throw new ValidationError([{ field: 'description', rule: 'must be a string (null or "" removes it)' }]);
    const description = typeof body.description === 'string' ? body.description.trim() : '';
    if (description.length > MAX_DESCRIPTION_LENGTH)
      throw new ValidationError([{ field: 'description', rule: `must be at most ${MAX_DESCRIPTION_LENGTH} characters` }]);
    change.description = description || null;
  }
  // null: every account again; an array: only these (checked as at create).
  if (body.appIds !== undefined) change.appIds = body.appIds === null ? null : parseAppIds(body.appIds)!;
  return change;
}

const CURSOR = /^DEAD#\d{15}#[^\s]{1,200}$/;

/**
 * Parses `{id, limit?, cursor?}` for GET /subscriptions/{id}/dead-letters (query values are strings).
 *
 * @throws {ValidationError} naming each field and rule.
 */
export function parseDeadLetterQuery(input: unknown): DeadLetterQuery {
  const body = (input ?? {}) as Record<string, unknown>;
  const { id } = parseSubscriptionIdInput(body);
  const query: DeadLetterQuery = { id };
  if (body.limit !== undefined) {
    const limit =
      typeof body.limit === 'number'
        ? body.limit
        : typeof body.limit === 'string' && /^\d{1,3}$/.test(body.limit)
          ? Number(body.limit)
          : NaN;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw new ValidationError([{ field: 'limit', rule: 'must be a whole number from 1 to 100' }]);
    query.limit = limit;
  }
  if (body.cursor !== undefined) {
    if (typeof body.cursor !== 'string' || !CURSOR.test(body.cursor))
      throw new ValidationError([{ field: 'cursor', rule: 'must be the cursor the previous page answered' }]);
    query.cursor = body.cursor;
  }
  return query;
}
