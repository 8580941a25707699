/**
 * The product's side of the four subscription operations (core/webhooks/service.ts): what the catalogue's
 * entries call through `OperationServices.subscriptions`.
 *
 * - create: applies the deployment's URL rules (https; http only to loopback when running locally;
 *   every resolved address public when deployed), generates the id and the signing secret, seals the
 *   secret and stores the subscription; answers with the secret, the only time it is shown;
 * - list / get: the subscriptions with their delivery health, never a secret;
 * - delete: nothing is delivered to it afterwards.
 *
 * @example
 * ```ts
 * const created = await createSubscription(runtime, { url: 'https://hooks.example.com/wechat', events: ['message.*'] });
 * created.secret; // 'whsec_…' (shown once)
 * ```
 */
import { parseSubscriptionIdInput, parseSubscriptionInput, type SubscriptionsService } from '../core/webhooks/service';
import { checkWebhookUrl } from '../core/webhooks/url-rules';
import { newSubscriptionId, type Subscription } from '../store';
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

/**
 * The runtime as the catalogue's `subscriptions` service.
 *
 * @example
 * ```ts
 * const services = { ...ctx.client.services(ctx.now), subscriptions: subscriptionsService(runtime) };
 * ```
 */
export function subscriptionsService(runtime: WebhookRuntime): SubscriptionsService {
  return {
    create: async (input) => ({ ...(await createSubscription(runtime, input)) }),
    list: async () => ({ ...(await listSubscriptions(runtime)) }),
    get: async (id) => ({ ...(await getSubscription(runtime, id)) }),
    delete: async (id) => ({ ...(await deleteSubscription(runtime, id)) }),
  };
}
