/** Gateway mode: a signed delivery from the deployed product starts the workflow (docs/webhooks.md). */
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import type { HandoffView } from '../../shared/handoff-state';
import { FAILED_DELIVERY_EVENT, openDelivery, TURN_LIMITED_EVENT, TURN_READY_EVENT } from './gateway';
import { appIdOf, failedDeliveryItem, skippedForHuman, startFromHandoffEvent, startFromMessage, turnItem } from './items';
import { maxSkewSecondsOf, rawBodyOf } from './request';
import { droppedAsRetry } from './seen-pushes';

/**
 * A delivery from the deployed product: refused with 401 unless its signature and timestamp verify;
 * answered 200 at once (the product retries anything else); the same item as in Direct mode, with
 * `mode: 'gateway'`. A repeated delivery of one event (same X-WeChat-Kf-Event-Id) starts nothing.
 */
export async function gatewayWebhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const res = this.getResponseObject();
	const req = this.getRequestObject();
	const options = this.getNodeParameter('options', {}) as IDataObject;
	const delivery = openDelivery(this, rawBodyOf(this), req.headers as Record<string, unknown>, maxSkewSecondsOf(options));
	if (!delivery.ok) {
		res.status(delivery.status).type('text/plain').send(delivery.reason);
		return { noWebhookResponse: true };
	}
	res.status(200).type('text/plain').send('ok');
	const { message } = delivery;
	const failedDelivery = delivery.type === FAILED_DELIVERY_EVENT;
	const turn = delivery.type === TURN_READY_EVENT || delivery.type === TURN_LIMITED_EVENT;
	if (!message && !failedDelivery && !turn) return { noWebhookResponse: true };
	if (droppedAsRetry(this, options, `event:${delivery.eventId}`)) return { noWebhookResponse: true };
	// A user's burst of messages, once (docs/turns.md): only a workflow that starts on turns runs.
	if (turn) {
		if (this.getNodeParameter('startOn', 'messages') !== 'turns') return { noWebhookResponse: true };
		const humanSession = (delivery.detail.humanSession ?? null) as HandoffView['humanSession'];
		if (skippedForHuman(this, humanSession, delivery.detail.transferred === true)) return { noWebhookResponse: true };
		return { noWebhookResponse: true, workflowData: [this.helpers.returnJsonArray([turnItem(delivery.type, delivery.detail)])] };
	}
	if (failedDelivery) {
		const startOn = this.getNodeParameter('startOn', 'messages') as string;
		if (startOn === 'messages') return { noWebhookResponse: true };
		return { noWebhookResponse: true, workflowData: [this.helpers.returnJsonArray([failedDeliveryItem(delivery.detail)])] };
	}
	if (!message) return { noWebhookResponse: true };
	// A keyword handoff the product's callback answered (HANDOFF_KEYWORDS): the same item as in Direct mode.
	if (delivery.type.startsWith('handoff.')) {
		return startFromHandoffEvent(this, message, 'gateway', { source: 'wechat.kf', detailType: delivery.type, detail: delivery.detail });
	}
	const humanSession = (delivery.humanSession ?? null) as HandoffView['humanSession'];
	return startFromMessage(
		this,
		message,
		'gateway',
		'gateway',
		{ humanSession, transferred: delivery.transferred === true },
		appIdOf(delivery.detail),
	);
}
