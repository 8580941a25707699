/**
 * Direct mode's Respond With: Reply Node (docs/passive-replies.md, "n8n Direct mode"): the push waits for the
 * WeChat Customer Service node's Message → Reply, which answers it with n8n's response-node pattern
 * (`sendResponse`, as the Respond to Webhook node). WeChat waits 5 s and then retries the push, so the
 * trigger answers "success" itself when no reply came within {@link REPLY_NODE_WAIT_MS}: n8n has no
 * timeout of its own for a response node (a workflow that never replies would keep WeChat waiting).
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import * as n8nWorkflow from 'n8n-workflow';
import type { PushFormat, PushMode } from '../../../functions/core/callback';

/** How long the push waits for the Reply node: under WeChat's 5 s, with room for the answer to travel. */
export const REPLY_NODE_WAIT_MS = 4500;

/** What Message → Reply needs to answer a push: who wrote, to which account, and how the push came. */
export interface ReplyTo extends IDataObject {
	openid: string;
	/** The official account's original id (the push's ToUserName): the reply's FromUserName. */
	account: string;
	msgId: string | null;
	/** The push's callback mode: the reply is encrypted when the push was. */
	mode: PushMode;
	format: PushFormat;
	/** Epoch ms after which WeChat has been answered "success" already. */
	answerBy: number;
}

/** The answer a response the trigger gives itself needs: Express's response, as n8n hands it. */
interface PlainResponse {
	headersSent: boolean;
	status(code: number): { type(t: string): { send(body: string): unknown } };
}

/**
 * Answers WeChat "success" after {@link REPLY_NODE_WAIT_MS} unless the Reply node (or anything else) answered
 * first; the returned function answers at once (no item started, a filter dropped the push).
 *
 * @example
 * ```ts
 * const fallback = successUnlessReplied(res); // ... nothing to start: fallback();
 * ```
 */
export function successUnlessReplied(res: PlainResponse, waitMs = REPLY_NODE_WAIT_MS): () => void {
	const waiting = new AbortController();
	const answer = () => {
		waiting.abort();
		if (!res.headersSent) res.status(200).type('text/plain').send('success');
	};
	// n8n's own sleep (community nodes use no timer globals), aborted when answered before the time is up.
	// n8n 2.40 no longer exports sleepWithAbort: there the plain sleep runs out, and answer() does nothing
	// once the Reply node has answered (the headers are sent).
	const { sleepWithAbort } = n8nWorkflow as { sleepWithAbort?: (ms: number, signal?: AbortSignal) => Promise<void> };
	const waited = typeof sleepWithAbort === 'function' ? sleepWithAbort(waitMs, waiting.signal) : n8nWorkflow.sleep(waitMs);
	void waited.then(answer, () => undefined);
	return answer;
}

/**
 * The items the trigger starts, each with `replyTo` (what Message → Reply needs).
 *
 * @example
 * ```ts
 * withReplyTo(workflowData, { openid, account, msgId, mode: 'safe', format: 'xml', answerBy: Date.now() + REPLY_NODE_WAIT_MS });
 * ```
 */
export function withReplyTo(workflowData: INodeExecutionData[][], replyTo: ReplyTo): INodeExecutionData[][] {
	return workflowData.map((items) => items.map((item) => ({ ...item, json: { ...item.json, replyTo } })));
}
