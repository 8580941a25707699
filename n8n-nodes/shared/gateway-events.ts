/**
 * The product's events a webhook subscription can ask for (docs/webhooks.md), as both nodes offer them:
 * the trigger's *Start On* (Gateway mode) and the action node's *Subscription → Create → Events*.
 */

/** Users' messages and events, and keyword handoffs (docs/handoff.md): what the trigger starts on by default. */
export const GATEWAY_EVENTS = ['message.*', 'event.*', 'handoff.*'];

/** A send the product could not deliver (refused by the window or by WeChat, or WeChat unreachable). */
export const FAILED_DELIVERY_EVENT = 'delivery.failed';

/**
 * The Events options, named as the trigger's Start On names them.
 *
 * @example
 * ```ts
 * { displayName: 'Events', name: 'events', type: 'multiOptions', options: EVENT_OPTIONS, default: [] }
 * ```
 */
export const EVENT_OPTIONS = [
	{
		name: 'Failed Deliveries',
		value: FAILED_DELIVERY_EVENT,
		description: 'A send through the product failed: refused by the send window, by WeChat, or WeChat unreachable',
	},
	{ name: "Users' Events", value: 'event.*', description: 'A user follows, unfollows, taps a menu, scans a code…; kf session events' },
	{ name: "Users' Messages", value: 'message.*', description: 'A user writes in: text, image, voice, video, location, link…' },
];
