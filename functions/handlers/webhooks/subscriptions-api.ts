/**
 * What the four subscription operations do (the catalogue's entries call these): create, list, get,
 * delete. The product performs them itself; WeChat is not called.
 *
 * - create: checks `url` (https; http only to loopback when running locally; public addresses only when
 *   deployed), `events` and `description`, generates the id and the signing secret, seals the secret and
 *   stores the subscription; answers 201 with the secret, the only time it is shown;
 * - list / get: the subscriptions with their delivery health, never a secret;
 * - delete: nothing is delivered to it afterwards.
 *
 * @example
 * ```ts
 * const created = await createSubscription(runtime, { url: 'https://hooks.example.com/wechat', events: ['message.*'] });
 * created.secret; // 'whsec_…' (shown once)
 * ```
 */
import { ValidationError } from '../../core/errors';
import { parseEventPatterns } from '../../core/webhooks/event-filter';
import { SubscriptionNotFoundError } from '../../core/webhooks/errors';
import { checkWebhookUrl } from '../../core/webhooks/url-rules';
import { newSubscriptionId, type Subscription } from '../../store';
import type { WebhookRuntime } from './runtime';
import { newSigningSecret } from './sealer';

/** Longest description kept. */
export const MAX_DESCRIPTION_LENGTH = 500;
const ID = /^sub_[A-Za-z0-9]{20}$/;

/** The answer to a create: the subscription and, this once, its secret. */
export interface CreatedSubscription extends Subscription {
  secret: string;
}

/** Parses a create input: `{url, events?, description?}` and nothing else. */
export async function parseSubscriptionInput(runtime: Pick<WebhookRuntime, 'addressPolicy' | 'allowLoopbackHttp'>, input: unknown) {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError([{ field: '(body)', rule: 'must be a JSON object {url, events?, description?}' }]);
  }
  const body = input as Record<string, unknown>;
  const unknown = Object.keys(body).filter((k) => !['url', 'events', 'description'].includes(k));
  if (unknown.length) throw new ValidationError(unknown.map((field) => ({ field, rule: 'is not a field of a subscription (url, events, description)' })));
  const events = parseEventPatterns(body.events);
  if (body.description !== undefined && body.description !== null && typeof body.description !== 'string') {
    throw new ValidationError([{ field: 'description', rule: 'must be a string' }]);
  }
  const description = typeof body.description === 'string' ? body.description.trim() : undefined;
  if (description && description.length > MAX_DESCRIPTION_LENGTH) throw new ValidationError([{ field: 'description', rule: `must be at most ${MAX_DESCRIPTION_LENGTH} characters` }]);
  const url = await checkWebhookUrl(body.url, { addressPolicy: runtime.addressPolicy, allowLoopbackHttp: runtime.allowLoopbackHttp });
  return { url: url.toString(), events, description: description || undefined };
}

/** Creates a subscription. */
export async function createSubscription(runtime: WebhookRuntime, input: unknown): Promise<CreatedSubscription> {
  const parsed = await parseSubscriptionInput(runtime, input);
  const id = newSubscriptionId();
  const secret = newSigningSecret();
  const sealedSecret = await runtime.sealer.seal(id, secret);
  const subscription = await runtime.subscriptions.create({ id, ...parsed, sealedSecret });
  return { ...subscription, secret };
}

/** Checks a subscription id from a path. */
export function parseSubscriptionId(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new ValidationError([{ field: 'id', rule: 'is required: the subscription id (sub_…)' }]);
  // A well-formed id that does not exist is a 404; anything else cannot exist.
  if (!ID.test(value)) throw new SubscriptionNotFoundError(value.slice(0, 64));
  return value;
}

/** Every subscription. */
export async function listSubscriptions(runtime: WebhookRuntime): Promise<{ subscriptions: Subscription[] }> {
  return { subscriptions: await runtime.subscriptions.list() };
}

/** One subscription. */
export async function getSubscription(runtime: WebhookRuntime, id: unknown): Promise<Subscription> {
  return runtime.subscriptions.get(parseSubscriptionId(id));
}

/** Deletes a subscription. */
export async function deleteSubscription(runtime: WebhookRuntime, id: unknown): Promise<{ id: string; deleted: true }> {
  const valid = parseSubscriptionId(id);
  await runtime.subscriptions.delete(valid);
  return { id: valid, deleted: true };
}
