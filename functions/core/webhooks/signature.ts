/**
 * The signature of a webhook delivery, the scheme Stripe and GitHub use (docs/webhooks.md, "Verifying a
 * delivery"):
 *
 * ```
 * X-WeChat-Kf-Event-Id:  evt_…            the same on every retry of one event
 * X-WeChat-Kf-Timestamp: 1767225600       epoch seconds when this try was signed
 * X-WeChat-Kf-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the subscription's secret>
 * ```
 *
 * A receiver recomputes the HMAC over the raw body, compares in constant time, and refuses a timestamp
 * too far from its clock, so a captured delivery cannot be replayed later.
 *
 * @example
 * ```ts
 * const headers = signDelivery({ secret, eventId: 'evt_1', body, now: Date.now() });
 * verifyDelivery({ secret, headers, body }); // throws SignatureError when forged or stale
 * ```
 */
import { createHmac, timingSafeEqual } from 'crypto';
import { SignatureError } from '../errors';

export const EVENT_ID_HEADER = 'x-wechat-kf-event-id';
export const TIMESTAMP_HEADER = 'x-wechat-kf-timestamp';
export const SIGNATURE_HEADER = 'x-wechat-kf-signature';
/** How far a delivery's timestamp may be from the receiver's clock by default (5 minutes, as Stripe). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * `v1=` and the hex HMAC-SHA256 of `"<timestamp>.<body>"`.
 *
 * @example
 * ```ts
 * signatureOf('whsec_x', 1767225600, '{}'); // 'v1=3f0c…'
 * ```
 */
export function signatureOf(secret: string, timestamp: number | string, body: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return `v1=${hmac.digest('hex')}`;
}

/**
 * The headers of one try of a delivery.
 *
 * @example
 * ```ts
 * signDelivery({ secret, eventId: 'evt_1', body: '{"id":"evt_1"}', now: Date.now() });
 * ```
 */
export function signDelivery(options: {
  secret: string;
  previousSecret?: string;
  eventId: string;
  body: string;
  now: number;
}): Record<string, string> {
  const timestamp = Math.floor(options.now / 1000);
  // After a rotation both secrets sign, the new one first (`v1=<new>,v1=<old>`), for 24 hours: a receiver
  // still holding the old secret keeps verifying until it is given the new one (docs/webhooks.md).
  const signatures = [options.secret, ...(options.previousSecret ? [options.previousSecret] : [])].map((secret) =>
    signatureOf(secret, timestamp, options.body),
  );
  return {
    'content-type': 'application/json; charset=utf-8',
    [EVENT_ID_HEADER]: options.eventId,
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signatures.join(','),
  };
}

function header(headers: Record<string, unknown>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== name) continue;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  }
  return undefined;
}

/**
 * Checks a delivery as a receiver: the timestamp within `toleranceSeconds` of `now`, and one of the
 * `v1=` signatures (comma-separated, so a secret can be rotated) matching the raw body.
 *
 * @throws {SignatureError} naming what is wrong (missing header, stale timestamp, no matching signature).
 * @example
 * ```ts
 * verifyDelivery({ secret, headers: req.headers, body: rawBody });
 * ```
 */
export function verifyDelivery(options: {
  secret: string;
  headers: Record<string, unknown>;
  body: string | Buffer;
  toleranceSeconds?: number;
  now?: number;
}): { eventId: string; timestamp: number } {
  const timestampText = header(options.headers, TIMESTAMP_HEADER);
  const signatures = header(options.headers, SIGNATURE_HEADER);
  const eventId = header(options.headers, EVENT_ID_HEADER);
  if (!timestampText || !signatures || !eventId) {
    throw new SignatureError(`a delivery must carry the headers ${EVENT_ID_HEADER}, ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER}`);
  }
  if (!/^\d{1,12}$/.test(timestampText)) throw new SignatureError(`${TIMESTAMP_HEADER} must be epoch seconds`);
  const timestamp = Number(timestampText);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    throw new SignatureError(
      `${TIMESTAMP_HEADER} is ${nowSeconds - timestamp} s from now, more than ${tolerance} s: a replay or a wrong clock`,
    );
  }
  const expected = Buffer.from(signatureOf(options.secret, timestampText, options.body));
  const ok = signatures
    .split(',')
    .map((s) => Buffer.from(s.trim()))
    .some((given) => given.length === expected.length && timingSafeEqual(given, expected));
  if (!ok) throw new SignatureError(`${SIGNATURE_HEADER} does not match the body and the subscription's secret`);
  return { eventId, timestamp };
}
