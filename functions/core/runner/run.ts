/**
 * The one operation runner: every surface (HTTP, EventBridge, SQS and direct invocation of a Lambda, the
 * local server, n8n's Direct mode, {@link WeChatClient.call}) runs a parsed catalogue input through
 * {@link runEntry}, and only translates its own input and answer. What differs between surfaces is which
 * ports they give ({@link RunPorts}): the deployed product gives all of them (DynamoDB windows,
 * idempotency, part progress, delivery records and events, metrics); n8n's Direct mode gives WeChat alone.
 *
 *   (key and ports.idempotency?) at most once ─▶ prepare (fetch, check, upload media: costs nothing)
 *     ─▶ parts (the entry's `parts`: one, or a long text cut once) ─▶ (key and parts?) resume after the
 *     parts an earlier try sent ─▶ gate (send: every remaining part in ONE write; typing) ─▶ WeChat,
 *     retried by the client, part after part ─▶ on a refused cached media_id, `recover` and once more
 *     ─▶ on failure, give back what provably never reached the user ─▶ record and publish each attempt
 *
 * The gate runs after `prepare` (a bad file or URL is refused with nothing counted; an upload never counts
 * against the window) and before WeChat (a send the window forbids never reaches WeChat). Which failures
 * give their count back is {@link sendsToGiveBack}'s rule (give-back.ts).
 *
 * Idempotency keys of sends are one space for every send route: `/messages` and `/messages/text` with the
 * same key are one send (the parsed input fills in `msgtype`, so the same message through either route is
 * the same payload, and another message under the key is refused with 422). Any other operation has a
 * space of its own. Which operations a key applies to: {@link keepsIdempotent}.
 *
 * @example
 * ```ts
 * const op = getOperation('sendText');
 * await runEntry(op, op.parse(body), { services: client.services(), wechat: (spec, to, trace) => client.request(spec, to, trace) });
 * ```
 */
import { createHash } from 'crypto';
import {
  type Operation,
  type OperationResult,
  type OperationServices,
  prepareOperation,
  recipientOf,
  runWithRecovery,
  type SendTrace,
  type WeChatRequestSpec,
  type WeChatResult,
} from '../catalogue';
import { aiLabelOf } from '../ai-label';
import { type DeliveryAttempt, outcomeOf } from '../deliveries';
import { sendsToGiveBack } from './give-back';

/** Where a run came from, as its delivery records say. */
export type RunSource = 'http' | 'sqs' | 'eventbridge' | 'direct';

/** What a gate took, to give back when the operation then fails. */
export interface RunPermit {
  /** Gives `count` counted sends back (a typing permit ignores the count). */
  release(count?: number): Promise<void>;
}

/**
 * What a surface gives the runner. Only `services` and `wechat` are required: a port left out is a step
 * the surface does not have (n8n's Direct mode has no window gate, no idempotency store, no records).
 */
export interface RunPorts {
  /** The services of the entry's hooks (`prepare`, `recover`, `perform`): their calls are not traced. */
  services: OperationServices;
  /** One WeChat request of the operation (the client's `request`): `trace` says whether it may have reached WeChat. */
  wechat(spec: WeChatRequestSpec, recipient: string | undefined, trace: SendTrace): Promise<WeChatResult>;
  /** The send and typing gates (the window store); absent: nothing is gated. */
  gates?: {
    sends(openid: string, count: number): Promise<RunPermit>;
    typing(openid: string, command: 'Typing' | 'CancelTyping'): Promise<RunPermit>;
  };
  /** At most once per key (Powertools' idempotency on the table); absent: a key is ignored. */
  idempotency?: {
    run<T>(scope: string, key: string, payload: unknown, fn: () => Promise<T>, options?: { inProgressTimeoutMs?: number }): Promise<T>;
  };
  /**
   * How far a split send under a key got: `resume` answers the parts an earlier try sent (and refuses other
   * parts under the same key), `sent` records one more. Absent: a retry sends the whole text again.
   */
  parts?: {
    resume(scope: string, key: string, parts: readonly string[]): Promise<number>;
    sent(scope: string, key: string, sent: number, parts: readonly string[]): Promise<void>;
  };
  /** Records and publishes one send attempt (docs/deliveries.md); never throws. Absent: nothing is recorded. */
  record?(attempt: DeliveryAttempt): void;
  /** Metrics and logs of the run; absent: none. */
  observe?: {
    /** WeChat accepted one message. */
    sent?(): void;
    /** WeChat answered a call with this errcode. */
    wechatError?(errcode: number): void;
    log?(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void;
  };
}

/** What a surface knows of the request besides its input. */
export interface RunRequest {
  /** The Idempotency-Key, the SQS message id or the EventBridge event id. */
  idempotencyKey?: string;
  source?: RunSource;
  /**
   * How long a run may stay in progress before a retry under its key may take it over: a Lambda's remaining
   * time (a run still "in progress" after it died with its container), rather than the store's default minute.
   */
  inProgressTimeoutMs?: number;
}

/**
 * The idempotency scope of an operation: every send operation shares one (a key means one send, whichever
 * route carried it); any other operation has its own.
 *
 * @example
 * ```ts
 * idempotencyScope(getOperation('sendText')); // 'send'
 * ```
 */
export function idempotencyScope(op: Operation): string {
  return op.gate.kind === 'send' ? 'send' : op.name;
}

/**
 * Whether a key makes an operation run at most once. On EventBridge and SQS (the event / message id),
 * every operation that changes something: a redelivery must not add a kf account twice. Reads (GET
 * routes) run again, since running a read twice changes nothing and keeping its answer would store a
 * page of records for nothing; an operation whose answer may be a file (the passthrough `callApi`) runs
 * again too, since a file of megabytes cannot be kept in a table item. Over HTTP the `Idempotency-Key`
 * is the sends' and typing's (README): an answer that carries a secret once (a new webhook
 * subscription's) is never kept in a table item.
 *
 * @example
 * ```ts
 * keepsIdempotent(getOperation('addKfAccount'), 'eventbridge'); // true
 * keepsIdempotent(getOperation('addKfAccount'), 'http'); // false
 * keepsIdempotent(getOperation('listKfAccounts'), 'sqs'); // false
 * ```
 */
export function keepsIdempotent(op: Operation, source: RunSource | undefined): boolean {
  if (op.gate.kind !== 'none') return true;
  if (source !== 'eventbridge' && source !== 'sqs') return false;
  if (op.route.method === 'GET') return false;
  return !(op.answer?.kind === 'file' || (op.answer?.kind === 'json' && op.answer.mayAnswerFile));
}

/**
 * The payload an idempotency key is checked against: the input, with every file (bytes) replaced by its
 * SHA-256, so a 10 MB upload is never serialised into the idempotency record and the same file under the
 * same key is the same payload.
 *
 * @example
 * ```ts
 * idempotencyPayload({ media: new Uint8Array([1]) }); // { media: 'sha256:4bf5…' }
 * ```
 */
export function idempotencyPayload(input: unknown): unknown {
  if (input instanceof Uint8Array) return `sha256:${createHash('sha256').update(input).digest('hex')}`;
  if (Array.isArray(input)) return input.map(idempotencyPayload);
  if (typeof input === 'object' && input !== null)
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, idempotencyPayload(v)]));
  return input;
}

/**
 * Runs a parsed input of a catalogue entry through every step its surface has a port for (see the module
 * comment).
 *
 * @throws whatever the operation threw: a ValidationError from `prepare`, a window error from the gate, a
 *   WeChat error, IdempotencyInProgressError / IdempotencyKeyReusedError from the idempotency port.
 * @example
 * ```ts
 * await runEntry(op, op.parse(detail, options), runPorts(ctx), { idempotencyKey: event.id, source: 'eventbridge' });
 * ```
 */
export async function runEntry(op: Operation, input: unknown, ports: RunPorts, request: RunRequest = {}): Promise<OperationResult> {
  const { idempotencyKey } = request;
  const once = () => runOnce(op, input, ports, request);
  if (idempotencyKey === undefined || !ports.idempotency || !keepsIdempotent(op, request.source)) return once();
  const timeout = request.inProgressTimeoutMs ? { inProgressTimeoutMs: request.inProgressTimeoutMs } : undefined;
  return ports.idempotency.run(idempotencyScope(op), idempotencyKey, idempotencyPayload(input), once, timeout);
}

async function runOnce(op: Operation, input: unknown, ports: RunPorts, request: RunRequest): Promise<OperationResult> {
  const { services } = ports;
  // Media given as {url} / {file} are fetched, checked and uploaded before the gate (docs/media.md).
  const ready = await prepareOperation(op, input, services);
  const key = request.idempotencyKey;
  const scope = idempotencyScope(op);
  const isSend = op.gate.kind === 'send';
  const openid = recipientOf(op.gate, ready);

  // The texts a send goes out as, cut once: their number is the gate's count.
  const parts = op.parts ? op.parts(ready, services.options) : undefined;
  const count = parts?.length ?? 1;
  let from = 0;
  if (parts && count > 1 && key !== undefined && ports.parts) from = Math.min(await ports.parts.resume(scope, key, parts), count);
  const reserved = count - from;
  if (reserved === 0) return { errcode: 0, errmsg: 'ok', parts: count, partsSentNow: 0, resumedAt: count + 1 };

  // What the delivery record of each attempt of a send says besides its outcome.
  const base = isSend && openid !== undefined ? attemptBase(op, ready, openid, request) : undefined;
  const record = (attempt: DeliveryAttempt) => ports.record?.(attempt);

  let permit: RunPermit | undefined;
  try {
    permit = await gate(op, ready, openid, reserved, ports);
  } catch (error) {
    if (base) record({ ...base, at: services.now(), ...outcomeOf(error), ...(count > 1 ? { parts: count } : {}) });
    throw error;
  }

  /** The trace of the WeChat call that failed, if one did. */
  let failed: SendTrace | undefined;
  /**
   * The delivery record of the call that failed, reported once the operation's outcome is known: a refusal
   * the operation recovers from (40007 on a cached media_id, re-uploaded and sent again under the same
   * gate count) is not a delivery of its own.
   */
  let failure: DeliveryAttempt | undefined;
  // Every WeChat call of the operation (one, or one per part) is traced; a send's is timed and recorded.
  const call: OperationServices['wechat']['request'] = async (spec, recipient, part) => {
    const at = services.now();
    const started = performance.now();
    const trace: SendTrace = { mayHaveReachedWeChat: false };
    const where = base
      ? {
          ...base,
          ...(part ? { part: part.part, parts: part.parts } : {}),
          content: contentOf(spec, base.msgtype),
          // The AI label a part carried (docs/ai-label.md), kept in its delivery record.
          ...aiLabelOf((spec.json ?? {}) as Record<string, unknown>),
          // A send as a kf account is the desk's ("agent" in the conversation history, docs/conversations.md).
          ...kfAccountOf((spec.json ?? {}) as Record<string, unknown>),
        }
      : undefined;
    try {
      const result = await ports.wechat(spec, recipient, trace);
      if (where) {
        ports.observe?.sent?.();
        record({ ...where, at, outcome: 'sent', latencyMs: Math.round(performance.now() - started) });
      }
      return result;
    } catch (error) {
      const errcode = (error as { errcode?: number }).errcode;
      if (errcode !== undefined) ports.observe?.wechatError?.(errcode);
      if (where) failure = { ...where, at, ...outcomeOf(error), latencyMs: Math.round(performance.now() - started) };
      failed = trace;
      throw error;
    }
  };
  const sent = key !== undefined && ports.parts && parts ? ports.parts : undefined;
  const traced: OperationServices = {
    ...services,
    wechat: { ...services.wechat, request: call },
    parts: {
      ...(parts ? { list: parts } : {}),
      from,
      ...(sent ? { sent: (part: number) => sent.sent(scope, key!, part, parts!) } : {}),
    },
  };
  try {
    // The recovery's uploads go through the plain services: they are not the operation's calls.
    return await runWithRecovery(op, ready, traced, services, (error) => {
      ports.observe?.log?.('info', 'WeChat refused a cached media_id; re-uploaded it and sending once more', {
        operation: op.name,
        errcode: (error as { errcode?: number }).errcode,
      });
      failure = undefined;
      failed = undefined;
    });
  } catch (error) {
    if (failure) record(failure);
    // What was not used goes back: parts never tried, and a failed call that provably never reached WeChat.
    const back = permit ? sendsToGiveBack({ reserved, from, error, failedCall: failed }) : 0;
    if (permit && back > 0) {
      await permit.release(back).catch((releaseError) =>
        ports.observe?.log?.('warn', 'could not give the window count back', {
          operation: op.name,
          error: (releaseError as Error).message,
        }),
      );
    }
    throw error;
  }
}

/** The gate of an operation: `count` sends of the user's window in one write, or the typing rules. */
async function gate(
  op: Operation,
  input: unknown,
  openid: string | undefined,
  count: number,
  ports: RunPorts,
): Promise<RunPermit | undefined> {
  if (!ports.gates || openid === undefined) return undefined;
  if (op.gate.kind === 'send') return ports.gates.sends(openid, count);
  if (op.gate.kind === 'typing') return ports.gates.typing(openid, op.gate.command(input));
  return undefined;
}

function attemptBase(op: Operation, input: unknown, openid: string, request: RunRequest): Omit<DeliveryAttempt, 'at' | 'outcome'> {
  const msgtype = (input as { msgtype?: unknown }).msgtype;
  return {
    openid,
    operation: op.name,
    ...(typeof msgtype === 'string' ? { msgtype } : {}),
    ...(request.idempotencyKey !== undefined ? { idempotencyKey: request.idempotencyKey } : {}),
    ...(request.source ? { source: request.source } : {}),
  };
}

/** The kf account a custom/send body is sent as (`customservice.kf_account`), if any. */
function kfAccountOf(body: Record<string, unknown>): { kfAccount?: string } {
  const kfAccount = (body.customservice as { kf_account?: unknown } | undefined)?.kf_account;
  return typeof kfAccount === 'string' && kfAccount !== '' ? { kfAccount } : {};
}

/** The message's content object of a custom/send body (e.g. `{content}` of a text part). */
function contentOf(spec: WeChatRequestSpec, msgtype: string | undefined): unknown {
  return msgtype === undefined ? undefined : ((spec.json ?? {}) as Record<string, unknown>)[msgtype];
}
