/**
 * Deliveries: the record of every send attempt (docs/deliveries.md). The product performs this operation
 * itself, from its own table: no WeChat call, gateway mode only in n8n.
 */
import { serviceOf } from './services';
import { parseDeliveryQuery, type DeliveryPage, type DeliveryQuery } from '../deliveries';
import type { FieldSpec, Operation, OperationResult, OperationServices } from './types';

declare module './types' {
  interface OperationServices {
    /** The delivery records (listDeliveries; docs/deliveries.md). Absent in n8n's direct mode. */
    deliveries?: { list(query: DeliveryQuery): Promise<DeliveryPage | Record<string, unknown>> };
  }
}

const FIELDS: readonly FieldSpec[] = [
  {
    name: 'openid',
    displayName: 'OpenID',
    type: 'string',
    description: "One user's records; empty for every user's",
    rules: ['an openid, without spaces'],
  },
  {
    name: 'since',
    displayName: 'Since',
    type: 'string',
    placeholder: '2026-12-01T00:00:00Z',
    description:
      'Records from this time on (ISO 8601 with its offset, or epoch seconds or milliseconds); default 30 days back with an OpenID, 24 hours without',
  },
  {
    name: 'outcome',
    displayName: 'Outcome',
    type: 'enum',
    default: '',
    enum: [
      { value: '', name: 'Any' },
      { value: 'failed', name: 'Failed (Any but Sent)' },
      { value: 'sent', name: 'Sent' },
      { value: 'refused_by_window', name: 'Refused by the Send Window' },
      { value: 'refused_by_wechat', name: 'Refused by WeChat' },
      { value: 'unreachable', name: 'WeChat Unreachable' },
      { value: 'expired', name: 'Kept Passive Answer Expired' },
    ],
  },
  {
    name: 'limit',
    displayName: 'Limit',
    type: 'number',
    default: 100,
    description: "At most this many records (1-1000); the answer's next continues",
    rules: ['1 to 1000'],
  },
  { name: 'cursor', displayName: 'Cursor', type: 'string', description: 'The next of the previous answer' },
];

/** Every delivery operation. */
export const DELIVERY_OPERATIONS: readonly Operation[] = [
  {
    name: 'listDeliveries',
    resource: 'delivery',
    action: 'list',
    title: 'List delivery records',
    description:
      'The record of every send attempt of the last 30 days: who, which operation and type, when, the outcome (sent, refused by the window or by WeChat, unreachable), errcode, part and latency.',
    route: { method: 'GET', path: '/deliveries' },
    input: { kind: 'json' },
    query: ['openid', 'since', 'outcome', 'limit', 'cursor'],
    answer: { kind: 'json', listField: 'deliveries' },
    gate: { kind: 'none' },
    acceptsEvents: false,
    direct: false,
    fields: FIELDS,
    needs: { secret: true, callsWeChat: false, table: 'read', publishesEvents: false },
    parse: (input) => parseDeliveryQuery(input),
    perform: async (input: DeliveryQuery, services: OperationServices) => {
      const deliveries = serviceOf(
        services,
        'deliveries',
        'listDeliveries needs the delivery store: it runs in the product (the gateway credential), not in n8n direct mode',
      );
      return (await deliveries.list(input)) as OperationResult;
    },
  } satisfies Operation<DeliveryQuery>,
];
