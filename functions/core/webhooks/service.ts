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
import { parseEventPatterns } from './event-filter';
import { parseWebhookUrl } from './url-text';

/** A create's input, checked for shape (the deployment's URL rules are applied by `create`). */
export interface SubscriptionInput {
  url: string;
  events: string[];
  description?: string;
}

export interface SubscriptionsService {
  /** Stores a subscription; the answer holds the secret, the only time it is shown. */
  create(input: SubscriptionInput): Promise<Record<string, unknown>>;
  list(): Promise<Record<string, unknown>>;
  get(id: string): Promise<Record<string, unknown>>;
  delete(id: string): Promise<Record<string, unknown>>;
}

/** Longest description kept. */
export const MAX_DESCRIPTION_LENGTH = 500;
const SUBSCRIPTION_ID = /^sub_[A-Za-z0-9]{20}$/;

/**
 * Parses `{url, events?, description?}` and nothing else.
 *
 * @throws {ValidationError} naming each field and rule.
 * @example
 * ```ts
 * parseSubscriptionInput({ url: 'https://hooks.example.com/x' }); // { url, events: ['*'] }
 * ```
 */
export function parseSubscriptionInput(input: unknown): SubscriptionInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError([{ field: '(body)', rule: 'must be a JSON object {url, events?, description?}' }]);
  }
  const body = input as Record<string, unknown>;
  const unknown = Object.keys(body).filter((k) => !['url', 'events', 'description'].includes(k));
  if (unknown.length) throw new ValidationError(unknown.map((field) => ({ field, rule: 'is not a field of a subscription (url, events, description)' })));
  const url = parseWebhookUrl(body.url).toString();
  const events = parseEventPatterns(body.events);
  if (body.description !== undefined && body.description !== null && typeof body.description !== 'string') {
    throw new ValidationError([{ field: 'description', rule: 'must be a string' }]);
  }
  const description = typeof body.description === 'string' ? body.description.trim() : '';
  if (description.length > MAX_DESCRIPTION_LENGTH) throw new ValidationError([{ field: 'description', rule: `must be at most ${MAX_DESCRIPTION_LENGTH} characters` }]);
  return description ? { url, events, description } : { url, events };
}

/**
 * Parses `{id}` (a path parameter): a subscription id, `sub_` and 20 letters or digits.
 *
 * @throws {ValidationError} when it is missing or malformed.
 */
export function parseSubscriptionIdInput(input: unknown): { id: string } {
  const id = (input as Record<string, unknown> | null)?.id;
  if (typeof id !== 'string' || id === '') throw new ValidationError([{ field: 'id', rule: 'is required: the subscription id (sub_…)' }]);
  if (!SUBSCRIPTION_ID.test(id)) throw new ValidationError([{ field: 'id', rule: 'must be a subscription id: sub_ and 20 letters or digits' }]);
  return { id };
}
