/**
 * Webhook subscriptions (docs/webhooks.md): the product POSTs every event it publishes (users' messages
 * and events, delivery events) to each subscribed URL, signed with the subscription's own secret. The
 * product performs these itself (no WeChat call): gateway mode only in n8n.
 */
import { ConfigurationError } from '../errors';
import { parseSubscriptionIdInput, parseSubscriptionInput, type SubscriptionInput, type SubscriptionsService } from '../webhooks/service';
import type { FieldSpec, FunctionNeeds, Operation, OperationServices } from './types';

declare module './types' {
  interface OperationServices {
    /** Webhook subscriptions (the deployed product and npm start; not n8n's direct mode). */
    subscriptions?: SubscriptionsService;
  }
}

/** Reads and writes subscriptions in the table; nothing else (no secret, no WeChat). */
const SUBSCRIPTION_NEEDS: FunctionNeeds = { secret: false, callsWeChat: false, table: 'readWrite', publishesEvents: false };

const ID_FIELD: FieldSpec = {
  name: 'id',
  displayName: 'Subscription ID',
  type: 'string',
  required: true,
  placeholder: 'sub_…',
  description: 'The id POST /subscriptions answered',
  rules: ['sub_ and 20 letters or digits'],
};

function subscriptionsOf(services: OperationServices): SubscriptionsService {
  if (!services.subscriptions) throw new ConfigurationError('webhook subscriptions are not available here: they are kept by the deployed product (or npm start)');
  return services.subscriptions;
}

const common = {
  resource: 'subscription',
  input: { kind: 'json' },
  gate: { kind: 'none' },
  acceptsEvents: false,
  direct: false,
} as const;

/** Every subscription operation. */
export const SUBSCRIPTION_OPERATIONS: readonly Operation[] = [
  {
    ...common,
    name: 'createSubscription',
    action: 'create',
    title: 'Subscribe a webhook',
    description:
      'Delivers every event the product publishes (users’ messages and events, delivery events), or those listed in events, to an https URL, signed with a secret shown only in this answer.',
    route: { method: 'POST', path: '/subscriptions' },
    successStatus: 201,
    fields: [
      { name: 'url', displayName: 'URL', type: 'string', required: true, placeholder: 'https://hooks.example.com/wechat', rules: ['https (http only to localhost when running locally)', 'a public address when deployed', 'at most 2048 characters'] },
      { name: 'events', displayName: 'Events', type: 'json', description: 'Event types to deliver, e.g. ["message.*", "event.subscribe", "delivery.failed"]; none means all', rules: ['at most 50', 'a type, a prefix.* wildcard, or *'] },
      { name: 'description', displayName: 'Description', type: 'string', rules: ['at most 500 characters'] },
    ],
    // It seals the new secret with the webhook key (Encrypt only).
    needs: { ...SUBSCRIPTION_NEEDS, webhookKey: 'seal' },
    parse: (input) => parseSubscriptionInput(input),
    perform: (input, services) => subscriptionsOf(services).create(input),
  } satisfies Operation<SubscriptionInput>,
  {
    ...common,
    name: 'listSubscriptions',
    action: 'list',
    title: 'List webhook subscriptions',
    description: 'Every subscription with how its deliveries are going (delivered, failed tries, failing, last error); never a secret.',
    route: { method: 'GET', path: '/subscriptions' },
    answer: { kind: 'json', listField: 'subscriptions' },
    fields: [],
    needs: { ...SUBSCRIPTION_NEEDS, table: 'read' },
    parse: () => ({}),
    perform: (_input, services) => subscriptionsOf(services).list(),
  } satisfies Operation<Record<string, never>>,
  {
    ...common,
    name: 'getSubscription',
    action: 'get',
    title: 'Get a webhook subscription',
    description: 'One subscription and how its deliveries are going; 404 once deleted.',
    route: { method: 'GET', path: '/subscriptions/{id}' },
    fields: [ID_FIELD],
    needs: { ...SUBSCRIPTION_NEEDS, table: 'read' },
    parse: (input) => parseSubscriptionIdInput(input),
    perform: (input, services) => subscriptionsOf(services).get(input.id),
  } satisfies Operation<{ id: string }>,
  {
    ...common,
    name: 'deleteSubscription',
    action: 'delete',
    title: 'Delete a webhook subscription',
    description: 'Nothing is delivered to it afterwards (deliveries already queued are dropped).',
    route: { method: 'DELETE', path: '/subscriptions/{id}' },
    fields: [ID_FIELD],
    needs: SUBSCRIPTION_NEEDS,
    parse: (input) => parseSubscriptionIdInput(input),
    perform: (input, services) => subscriptionsOf(services).delete(input.id),
  } satisfies Operation<{ id: string }>,
];
