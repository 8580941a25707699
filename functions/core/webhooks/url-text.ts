/**
 * What a webhook URL's text alone must be (no configuration, no DNS): the part of the URL rules the
 * catalogue's parse applies everywhere, n8n included. url-rules.ts adds the deployment's rules.
 */
import { ValidationError } from '../errors';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

const invalid = (rule: string) => new ValidationError([{ field: 'url', rule }]);

/**
 * The checks a URL's text alone allows (no configuration, no DNS): a string of at most 2048 characters,
 * an absolute http(s) URL with a host and without user name or password.
 *
 * @throws {ValidationError} naming `url` and the rule it breaks.
 * @example
 * ```ts
 * parseWebhookUrl('https://hooks.example.com/wechat').hostname; // 'hooks.example.com'
 * ```
 */
export function parseWebhookUrl(value: unknown): URL {
  if (typeof value !== 'string' || value.trim() === '') throw invalid('is required: the https URL that receives the deliveries');
  if (value.length > MAX_WEBHOOK_URL_LENGTH) throw invalid(`must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('must be an absolute URL, e.g. https://hooks.example.com/wechat');
  }
  if (url.username || url.password) throw invalid('must not contain a user name or password');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`must use https, not ${url.protocol.replace(/:$/, '')}`);
  if (!url.hostname) throw invalid('must have a host');
  return url;
}
