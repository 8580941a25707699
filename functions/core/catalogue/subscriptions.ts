/**
 * Webhook subscriptions (docs/webhooks.md): the product POSTs every event it publishes (users' messages
 * and events, delivery events) to each subscribed URL, signed with the subscription's own secret. The
 * product performs these itself (no WeChat call): gateway mode only in n8n.
 */
import { serviceOf } from './services';
import {
  parseDeadLetterQuery,
  parseSubscriptionChange,
  parseSubscriptionIdInput,
  parseSubscriptionInput,
  type DeadLetterQuery,
  type SubscriptionChange,
  type SubscriptionInput,
  type SubscriptionsService,
} from '../webhooks/service';
import type { FieldSpec, FunctionNeeds, Operation, OperationServices } from './types';

declare module './types' {
  interface OperationServices {
    /** Webhook subscriptions (the deployed product and npm start; not n8n's direct mode). */
    subscriptions?: SubscriptionsService;
  }
}

/** Reads and writes subscriptions in the table; nothing else (no secret, no WeChat). */
const SUBSCRIPTION_NEEDS: FunctionNeeds = { secret: false, callsWeChat: false, table: 'readWrite', publishesEvents: false };

/**
 * The account filter (docs/webhooks.md "Filtering by account"): n8n's trigger sends its Account here, the
 * console and n8n's Subscription operations show it as a JSON array.
 */
const APP_IDS_RULES = ['1 to 100 AppIDs, none repeated', 'each wx and 1 to 32 letters, digits, _ or -', 'absent: every account'] as const;

const ID_FIELD: FieldSpec = {
  name: 'id',
  displayName: 'Subscription ID',
  type: 'string',
  required: true,
  placeholder: 'sub_…',
  description: 'The id POST /subscriptions answered',
  rules: ['sub_ and 20 letters or digits'],
};

function subscriptionsOf(services: OperationServices) {
  return serviceOf(
    services,
    'subscriptions',
    'webhook subscriptions are not available here: they are kept by the deployed product (or npm start)',
  );
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
      'Delivers every event the product publishes (users’ messages and events, delivery events), or those listed in events, of every official account or those listed in appIds, to an https URL, signed with a secret shown only in this answer.',
    route: { method: 'POST', path: '/subscriptions' },
    successStatus: 201,
    fields: [
      {
        name: 'url',
        displayName: 'URL',
        type: 'string',
        required: true,
        placeholder: 'https://hooks.example.com/wechat',
        rules: ['https (http only to localhost when running locally)', 'a public address when deployed', 'at most 2048 characters'],
      },
      {
        name: 'events',
        displayName: 'Events',
        type: 'json',
        description: 'Event types to deliver, e.g. ["message.*", "event.subscribe", "delivery.failed"]; none means all',
        rules: ['at most 50', 'a type, a prefix.* wildcard, or *'],
      },
      { name: 'description', displayName: 'Description', type: 'string', rules: ['at most 500 characters'] },
      {
        name: 'appIds',
        displayName: 'Accounts',
        type: 'json',
        placeholder: '["wx0123456789abcdef"]',
        description: 'AppIDs of the official accounts whose events to deliver (their detail.appId); none means every account',
        rules: APP_IDS_RULES,
      },
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
    description:
      'Every subscription (its events, its accounts as appIds, null for every account) with how its deliveries are going (delivered, failed tries, failing, last error); never a secret.',
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
    description:
      'One subscription (its events, its accounts as appIds, null for every account) and how its deliveries are going; 404 once deleted.',
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
  {
    ...common,
    name: 'updateSubscription',
    action: 'update',
    title: 'Change a webhook subscription',
    description: 'Changes which events and which accounts’ events it receives, and its description; the URL and the secret stay.',
    route: { method: 'PATCH', path: '/subscriptions/{id}' },
    fields: [
      ID_FIELD,
      {
        name: 'events',
        displayName: 'Events',
        type: 'json',
        description: 'Event types to deliver, e.g. ["message.*"]; [] or ["*"] means all',
        rules: ['at most 50', 'a type, a prefix.* wildcard, or *'],
      },
      {
        name: 'description',
        displayName: 'Description',
        type: 'string',
        description: 'Empty removes it',
        rules: ['at most 500 characters'],
      },
      {
        name: 'appIds',
        displayName: 'Accounts',
        type: 'json',
        placeholder: '["wx0123456789abcdef"]',
        description: 'AppIDs of the official accounts whose events to deliver; null means every account again',
        rules: [...APP_IDS_RULES.slice(0, 2), 'null: every account'],
      },
    ],
    needs: SUBSCRIPTION_NEEDS,
    parse: (input) => parseSubscriptionChange(input),
    perform: (input, services) => subscriptionsOf(services).update(input),
  } satisfies Operation<SubscriptionChange>,
  {
    ...common,
    name: 'rotateSubscriptionSecret',
    action: 'rotateSecret',
    title: 'Rotate a webhook subscription’s secret',
    description:
      'A new signing secret, shown only in this answer; for 24 hours deliveries carry both signatures (X-WeChat-Kf-Signature: v1=<new>,v1=<old>), so receivers can switch without missing one.',
    route: { method: 'POST', path: '/subscriptions/{id}/rotate-secret' },
    fields: [ID_FIELD],
    // It seals the new secret with the webhook key (Encrypt only).
    needs: { ...SUBSCRIPTION_NEEDS, webhookKey: 'seal' },
    parse: (input) => parseSubscriptionIdInput(input),
    perform: (input, services) => subscriptionsOf(services).rotateSecret(input.id),
  } satisfies Operation<{ id: string }>,
  {
    ...common,
    name: 'listSubscriptionDeadLetters',
    action: 'listDeadLetters',
    title: 'List a webhook subscription’s dead letters',
    description:
      'The deliveries given up on after their last try (kept 14 days), oldest first, each with its event, tries and last error class.',
    route: { method: 'GET', path: '/subscriptions/{id}/dead-letters' },
    query: ['limit', 'cursor'],
    answer: { kind: 'json', listField: 'deadLetters' },
    fields: [
      ID_FIELD,
      {
        name: 'limit',
        displayName: 'Limit',
        type: 'number',
        default: 100,
        description: 'Most dead letters in this page (1-100)',
        rules: ['1 to 100'],
      },
      { name: 'cursor', displayName: 'Cursor', type: 'string', description: 'The cursor the previous page answered' },
    ],
    needs: { ...SUBSCRIPTION_NEEDS, table: 'read' },
    parse: (input) => parseDeadLetterQuery(input),
    perform: (input, services) => subscriptionsOf(services).deadLetters(input),
  } satisfies Operation<DeadLetterQuery>,
  {
    ...common,
    name: 'redriveSubscription',
    action: 'redrive',
    title: 'Redrive a webhook subscription’s dead letters',
    description:
      'Queues the dead letters again (up to 100 a call, oldest first; `more` says whether any are left), with a fresh set of tries each.',
    route: { method: 'POST', path: '/subscriptions/{id}/redrive' },
    fields: [ID_FIELD],
    // It reads and removes dead letters and sends them to the delivery queue.
    needs: { ...SUBSCRIPTION_NEEDS, queues: ['webhookDelivery'] },
    parse: (input) => parseSubscriptionIdInput(input),
    perform: (input, services) => subscriptionsOf(services).redrive(input.id),
  } satisfies Operation<{ id: string }>,
  {
    ...common,
    name: 'testSubscription',
    action: 'test',
    title: 'Send a test event to a webhook subscription',
    description:
      'Queues a signed webhook.test event to this subscription alone (whatever its events and appIds; its detail.appId is an account the subscription receives), delivered and retried as any other; see its outcome on the subscription.',
    route: { method: 'POST', path: '/subscriptions/{id}/test' },
    successStatus: 202,
    fields: [ID_FIELD],
    needs: { ...SUBSCRIPTION_NEEDS, table: 'read', queues: ['webhookDelivery'] },
    parse: (input) => parseSubscriptionIdInput(input),
    perform: (input, services) => subscriptionsOf(services).test(input.id),
  } satisfies Operation<{ id: string }>,
];

/**
 * Whether a catalogue operation is one of the subscription operations (a deployed function then builds the
 * webhook store, functions/handlers/webhooks/runtime.ts).
 *
 * @example
 * ```ts
 * isSubscriptionOperation('redriveSubscription'); // true
 * ```
 */
export function isSubscriptionOperation(name: string | undefined): boolean {
  return SUBSCRIPTION_OPERATIONS.some((op) => op.name === name);
}
