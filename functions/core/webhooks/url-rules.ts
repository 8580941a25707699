/**
 * Which URLs a webhook subscription may point at (docs/webhooks.md, "Which URLs are accepted"):
 *
 * - `https:` always; `http:` only to a loopback host (`localhost`, 127.x, [::1]) and only when running
 *   locally (`allowLoopbackHttp`);
 * - no user name or password in the URL, at most 2048 characters;
 * - in the deployed stack (`addressPolicy: 'public'`) every address the host resolves to must be a
 *   public address: private, loopback, link-local, metadata and other special-purpose addresses are refused.
 *   The same check runs again on every delivery's connection (DNS may change after the subscription);
 * - whatever the policy, never a link-local or cloud metadata address or host name: `any` (running locally)
 *   allows loopback and private addresses only ({@link webhookAddressPolicy}).
 *
 * @example
 * ```ts
 * await checkWebhookUrl('https://hooks.example.com/wechat', { addressPolicy: 'public' });
 * await checkWebhookUrl('http://127.0.0.1:5678/webhook/x', { addressPolicy: 'any', allowLoopbackHttp: true });
 * ```
 */
import { ValidationError } from '../errors';
import { parseWebhookUrl } from './url-text';
import { isLoopbackAddress } from '../net/addresses';
import { ForbiddenAddressError, resolveChecked, unbracket, UnresolvableHostError, type AddressPolicy } from '../net/lookup';
import { localWebhookAddressReason, metadataHostReason } from '../net/metadata-hosts';

export { MAX_WEBHOOK_URL_LENGTH, parseWebhookUrl } from './url-text';

export interface WebhookUrlRules {
  addressPolicy: AddressPolicy;
  /** Allow `http:` to a loopback host (running locally). */
  allowLoopbackHttp?: boolean;
  /** Resolves a host name (tests); the system resolver by default. */
  resolver?: Parameters<typeof resolveChecked>[2];
}

const invalid = (rule: string) => new ValidationError([{ field: 'url', rule }]);

/**
 * The address rule a webhook connection applies: `public` as is; `any` (running locally) still refuses
 * link-local and metadata addresses, which hold a cloud machine's credentials even on a developer's laptop.
 *
 * @example
 * ```ts
 * webhookAddressPolicy('any')('169.254.169.254'); // 'is the cloud metadata address'
 * ```
 */
export function webhookAddressPolicy(policy: AddressPolicy): Exclude<AddressPolicy, 'any'> {
  return policy === 'any' ? localWebhookAddressReason : policy;
}

/**
 * Parses and checks a subscription URL against the deployment's rules, resolving its host.
 *
 * @throws {ValidationError} naming `url` and the rule it breaks.
 * @example
 * ```ts
 * await checkWebhookUrl('https://10.0.0.1/', { addressPolicy: 'public' }); // throws: url 10.0.0.1 is a private address
 * ```
 */
export async function checkWebhookUrl(value: unknown, rules: WebhookUrlRules): Promise<URL> {
  const url = parseWebhookUrl(value);
  const host = unbracket(url.hostname).toLowerCase();
  const metadataHost = metadataHostReason(host);
  if (metadataHost) throw invalid(`must not be a cloud metadata service: ${host} ${metadataHost}`);
  const loopbackHost = host === 'localhost' || host.endsWith('.localhost') || isLoopbackAddress(host);
  if (url.protocol === 'http:') {
    if (!rules.allowLoopbackHttp) throw invalid('must use https');
    if (!loopbackHost) throw invalid('must use https (http is accepted only for localhost / 127.0.0.1 when running locally)');
  }
  try {
    const addresses = await resolveChecked(host, webhookAddressPolicy(rules.addressPolicy), rules.resolver);
    if (url.protocol === 'http:' && !addresses.every((a) => isLoopbackAddress(a.address))) {
      throw invalid(`must use https: ${host} resolves to an address that is not loopback`);
    }
  } catch (error) {
    if (error instanceof ForbiddenAddressError) {
      throw invalid(
        rules.addressPolicy === 'public'
          ? `must reach a public address: ${error.message}`
          : `must not reach a link-local or metadata address: ${error.message}`,
      );
    }
    if (error instanceof UnresolvableHostError) throw invalid(`must have a host that resolves: ${error.message}`);
    throw error;
  }
  return url;
}
