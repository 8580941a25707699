/**
 * The product's side of the four subscription operations (core/webhooks/service.ts): what the catalogue's
 * entries call through `OperationServices.subscriptions`.
 *
 * - create: applies the deployment's URL rules (https; http only to loopback when running locally;
 *   every resolved address public when deployed), generates the id and the signing secret, seals the
 *   secret and stores the subscription; answers with the secret, the only time it is shown;
 * - list / get: the subscriptions with their delivery health, never a secret;
 * - delete: nothing is delivered to it afterwards;
 * - update (PATCH): events, description and the account filter (`appIds`); the URL and the secret stay;
 * - rotate-secret: a new secret, shown once; the old one still signs for 24 hours (both signatures sent);
 * - dead-letters / redrive: the deliveries given up on, and queueing them again;
 * - test: a `webhook.test` event queued to this subscription alone, naming an account it receives.
 *
 * The account (`appId`) a test event names is passed in explicitly ({@link subscriptionsService}), from the
 * context that serves the request: never read from ambient state.
 *
 * @example
 * ```ts
 * const created = await createSubscription(runtime, { url: 'https://hooks.example.com/wechat', events: ['message.*'] });
 * created.secret; // 'whsec_…' (shown once)
 * ```
 */
import { randomUUID } from 'crypto';
import { ConfigurationError } from '../core/errors';
import {
  parseDeadLetterQuery,
  parseSubscriptionChange,
  parseSubscriptionIdInput,
  parseSubscriptionInput,
  type SubscriptionsService,
} from '../core/webhooks/service';
import { checkWebhookUrl } from '../core/webhooks/url-rules';
import { MAX_DEAD_LETTERS, newSubscriptionId, PREVIOUS_SECRET_MS, type DeadLetter, type Subscription } from '../store';
import type { WebhookEvent } from './deliverer';
import type { WebhookRuntime } from './runtime';
import { newSigningSecret } from './sealer';

/** The answer to a create: the subscription and, this once, its secret. */
export interface CreatedSubscription extends Subscription {
  secret: string;
}

/** Creates a subscription from a raw input. */
export async function createSubscription(runtime: WebhookRuntime, input: unknown): Promise<CreatedSubscription> {
  const parsed = parseSubscriptionInput(input);
  const url = await checkWebhookUrl(parsed.url, { addressPolicy: runtime.addressPolicy, allowLoopbackHttp: runtime.allowLoopbackHttp });
  const id = newSubscriptionId();
  const secret = newSigningSecret();
  const sealedSecret = await runtime.sealer.seal(id, secret);
  const subscription = await runtime.subscriptions.create({ id, ...parsed, url: url.toString(), sealedSecret });
  return { ...subscription, secret };
}

/** Every subscription. */
export async function listSubscriptions(runtime: WebhookRuntime): Promise<{ subscriptions: Subscription[] }> {
  return { subscriptions: await runtime.subscriptions.list() };
}

/** One subscription. */
export async function getSubscription(runtime: WebhookRuntime, id: unknown): Promise<Subscription> {
  return runtime.subscriptions.get(parseSubscriptionIdInput({ id }).id);
}

/** Deletes a subscription. */
export async function deleteSubscription(runtime: WebhookRuntime, id: unknown): Promise<{ id: string; deleted: true }> {
  const valid = parseSubscriptionIdInput({ id }).id;
  await runtime.subscriptions.delete(valid);
  return { id: valid, deleted: true };
}

/** Changes a subscription's events, description and account filter. */
export async function updateSubscription(runtime: WebhookRuntime, input: unknown): Promise<Subscription> {
  const { id, ...change } = parseSubscriptionChange(input);
  return runtime.subscriptions.change(id, change);
}

/** The answer to a rotation: the subscription, the new secret (shown once) and until when the old one signs. */
export interface RotatedSecret extends Subscription {
  secret: string;
  previousSecretExpiresAt: string;
}

/** Gives a subscription a new secret; the old one keeps signing beside it for 24 hours. */
export async function rotateSubscriptionSecret(runtime: WebhookRuntime, id: unknown, now: () => number = Date.now): Promise<RotatedSecret> {
  const valid = parseSubscriptionIdInput({ id }).id;
  const secret = newSigningSecret();
  const subscription = await runtime.subscriptions.rotateSecret(valid, () => runtime.sealer.seal(valid, secret));
  return { ...subscription, secret, previousSecretExpiresAt: new Date(now() + PREVIOUS_SECRET_MS).toISOString() };
}

/** A page of a subscription's dead letters (404 when the subscription does not exist). */
export async function listDeadLetters(
  runtime: WebhookRuntime,
  input: unknown,
): Promise<{ id: string; deadLetters: DeadLetter[]; cursor: string | null }> {
  const query = parseDeadLetterQuery(input);
  await runtime.subscriptions.get(query.id);
  return { id: query.id, ...(await runtime.deadLetters.list(query.id, { limit: query.limit, cursor: query.cursor })) };
}

function enqueueOf(runtime: WebhookRuntime) {
  if (!runtime.enqueue) throw new ConfigurationError('the webhook delivery queue is not reachable from here (WEBHOOK_DELIVERY_QUEUE_URL)');
  return runtime.enqueue;
}

/** Queues a subscription's dead letters again, oldest first, up to 100 a call (`more` says whether any are left). */
export async function redriveDeadLetters(
  runtime: WebhookRuntime,
  id: unknown,
  now: () => number = Date.now,
): Promise<{ id: string; redriven: number; eventIds: string[]; more: boolean }> {
  const valid = parseSubscriptionIdInput({ id }).id;
  const enqueue = enqueueOf(runtime);
  await runtime.subscriptions.get(valid);
  const sent = await runtime.deadLetters.drain(valid, (events) =>
    enqueue(events.map((event) => ({ subscriptionId: valid, event: event as unknown as WebhookEvent, queuedAt: now() }))),
  );
  const more = sent.length === MAX_DEAD_LETTERS && (await runtime.deadLetters.list(valid, { limit: 1 })).deadLetters.length > 0;
  return { id: valid, redriven: sent.length, eventIds: sent.map((d) => d.eventId), more };
}

/** The detail-type of a test event. */
export const TEST_EVENT_TYPE = 'webhook.test';

/**
 * The account a test event names, so that it looks like every other event (`detail.appId`) and passes the
 * receiver's own account check: the serving context's AppID when the subscription receives that account's
 * events, else the first account the subscription names; none only when the context knows no AppID (a
 * function deployed without the `appId` prop) and the subscription takes every account.
 */
function testEventAppId(subscription: Subscription, contextAppId: string | undefined): string | undefined {
  if (subscription.appIds === null) return contextAppId || undefined;
  return contextAppId && subscription.appIds.includes(contextAppId) ? contextAppId : subscription.appIds[0];
}

/** Queues a `webhook.test` event to this subscription alone (whatever its `events` and `appIds`). */
export async function sendTestEvent(
  runtime: WebhookRuntime,
  id: unknown,
  options: { appId?: string; now?: () => number } = {},
): Promise<{ id: string; eventId: string; type: string; queued: true }> {
  const valid = parseSubscriptionIdInput({ id }).id;
  const enqueue = enqueueOf(runtime);
  const subscription = await runtime.subscriptions.get(valid);
  const appId = testEventAppId(subscription, options.appId);
  const now = options.now ?? Date.now;
  const at = now();
  const eventId = `evt_test_${randomUUID()}`;
  await enqueue([
    {
      subscriptionId: valid,
      queuedAt: at,
      event: {
        id: eventId,
        source: 'wechat.kf',
        type: TEST_EVENT_TYPE,
        time: new Date(at).toISOString(),
        detail: { ...(appId ? { appId } : {}), subscriptionId: valid, test: true },
      },
    },
  ]);
  return { id: valid, eventId, type: TEST_EVENT_TYPE, queued: true };
}

/**
 * The runtime as the catalogue's `subscriptions` service, for the account `appId` of the context serving
 * the request (the AppID its test events name; '' when that context knows none).
 *
 * @example
 * ```ts
 * const services = { ...ctx.client.services(ctx.now), subscriptions: subscriptionsService(runtime, { appId: ctx.secrets.appId }) };
 * ```
 */
export function subscriptionsService(runtime: WebhookRuntime, account: { appId: string }): SubscriptionsService {
  return {
    create: async (input) => ({ ...(await createSubscription(runtime, input)) }),
    list: async () => ({ ...(await listSubscriptions(runtime)) }),
    get: async (id) => ({ ...(await getSubscription(runtime, id)) }),
    delete: async (id) => ({ ...(await deleteSubscription(runtime, id)) }),
    update: async (input) => ({ ...(await updateSubscription(runtime, input)) }),
    rotateSecret: async (id) => ({ ...(await rotateSubscriptionSecret(runtime, id)) }),
    deadLetters: async (input) => ({ ...(await listDeadLetters(runtime, input)) }),
    redrive: async (id) => ({ ...(await redriveDeadLetters(runtime, id)) }),
    test: async (id) => ({ ...(await sendTestEvent(runtime, id, { appId: account.appId })) }),
  };
}
