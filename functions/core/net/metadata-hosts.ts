/**
 * Host names of cloud metadata services. They resolve to a link-local or metadata address (refused by
 * {@link linkLocalAddressReason}) where the service exists, but a name is refused by itself too: where a
 * resolver answers something else for it (a search domain, a split-horizon DNS) the name still means
 * "the machine's credentials" to whoever wrote it.
 *
 * @example
 * ```ts
 * metadataHostReason('metadata.google.internal'); // 'is a cloud metadata host name'
 * metadataHostReason('hooks.example.com');        // undefined
 * ```
 */
import { linkLocalAddressReason } from './addresses';

const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.internal',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
  'metadata.platformequinix.com',
]);

/** Why a host name is refused as a metadata service's name, or `undefined`. */
export function metadataHostReason(host: string): string | undefined {
  const name = host.toLowerCase().replace(/\.$/, '');
  return METADATA_HOSTS.has(name) ? 'is a cloud metadata host name' : undefined;
}

/**
 * The address rule of webhooks running locally (`WEBHOOK_ADDRESS_POLICY=any`): loopback and private
 * addresses are reachable (a receiver on the developer's machine or network), link-local (169.254.0.0/16,
 * fe80::/10) and the cloud metadata addresses (169.254.169.254, 100.100.100.200, fd00:ec2::254, …) never.
 *
 * @example
 * ```ts
 * localWebhookAddressReason('127.0.0.1');       // undefined
 * localWebhookAddressReason('169.254.169.254'); // 'is the cloud metadata address'
 * ```
 */
export function localWebhookAddressReason(address: string): string | undefined {
  return linkLocalAddressReason(address);
}
