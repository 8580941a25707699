/**
 * How a subscription's secret is kept so that only the delivery code can read it: it is encrypted when the
 * subscription is created and decrypted only to sign a delivery.
 *
 * - Deployed: {@link KmsSecretSealer}, a KMS key of the stack. The subscriptions function's role may only
 *   `kms:Encrypt` with it, the delivery function's role only `kms:Decrypt`, and the encryption context
 *   binds each ciphertext to its subscription id (a sealed secret copied to another item does not open).
 *   Reading the table (any function, a backup, a console user) gives ciphertext only.
 * - Locally: {@link LocalKeySealer}, AES-256-GCM with a key generated once into `DATA_DIR/webhook-secret.key`
 *   (mode 0600), the subscription id as additional data.
 *
 * docs/webhooks.md ("Where the secret is kept") records this choice.
 *
 * @example
 * ```ts
 * const sealed = await sealer.seal('sub_1', 'whsec_…');
 * await sealer.open('sub_1', sealed); // 'whsec_…'
 * ```
 */
import { ConfigurationError } from '../core/errors';
import { createCipheriv, createDecipheriv, randomBytes } from 'crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { dirname } from 'path';

export interface SecretSealer {
  /** Encrypts a subscription's secret; the result is text to store. */
  seal(subscriptionId: string, secret: string): Promise<string>;
  /** Decrypts what {@link seal} returned for the same subscription id. */
  open(subscriptionId: string, sealed: string): Promise<string>;
}

/** A new subscription's signing secret: `whsec_` and 32 random bytes, base64url. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * AES-256-GCM with a local key (`npm start`, tests).
 *
 * @example
 * ```ts
 * const sealer = LocalKeySealer.fromFile('.data/webhook-secret.key');
 * ```
 */
export class LocalKeySealer implements SecretSealer {
  constructor(private readonly key: Buffer = randomBytes(32)) {
    if (key.length !== 32) throw new Error('the local webhook key must be 32 bytes');
  }

  /** The key in `path`, created (0600) on first use. */
  static fromFile(path: string): LocalKeySealer {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    }
    return new LocalKeySealer(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'));
  }

  async seal(subscriptionId: string, secret: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(subscriptionId));
    const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `local:v1:${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64')}`;
  }

  async open(subscriptionId: string, sealed: string): Promise<string> {
    if (!sealed.startsWith('local:v1:')) throw new Error('the sealed secret was not sealed by the local key');
    const raw = Buffer.from(sealed.slice('local:v1:'.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(subscriptionId));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

/**
 * The sealer of a function without the webhook key (list, get, delete, dead letters): it can do neither.
 *
 * @example
 * ```ts
 * await new NoKeySealer().seal('sub_1', 'whsec_x'); // throws ConfigurationError
 * ```
 */
export class NoKeySealer implements SecretSealer {
  async seal(): Promise<string> {
    throw new ConfigurationError('this function does not hold the webhook key (WEBHOOK_KEY_ID): it cannot seal a secret');
  }

  async open(): Promise<string> {
    throw new ConfigurationError('this function does not hold the webhook key (WEBHOOK_KEY_ID): it cannot open a secret');
  }
}

/**
 * A KMS key of the stack (`WEBHOOK_KEY_ID`).
 *
 * @example
 * ```ts
 * const sealer = new KmsSecretSealer(process.env.WEBHOOK_KEY_ID!);
 * ```
 */
export class KmsSecretSealer implements SecretSealer {
  private client?: import('@aws-sdk/client-kms').KMSClient;
  /**
   * @param contextKey the encryption context's key that binds a ciphertext to its owner: `subscriptionId`
   *   for webhook secrets, `appId` for the secrets of accounts (docs/accounts.md).
   */
  constructor(
    private readonly keyId: string,
    private readonly contextKey = 'subscriptionId',
  ) {}

  private async kms() {
    // `require`, not `import()`, loaded on first use: where the function uses the runtime's AWS SDK it is found on
    // NODE_PATH, which only `require` reads; where the bundle carries it, this initialises it (docs/bundles.md).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require('@aws-sdk/client-kms') as typeof import('@aws-sdk/client-kms');
    this.client ??= new sdk.KMSClient({});
    return { sdk, client: this.client };
  }

  async seal(subscriptionId: string, secret: string): Promise<string> {
    const { sdk, client } = await this.kms();
    const out = await client.send(
      new sdk.EncryptCommand({
        KeyId: this.keyId,
        Plaintext: Buffer.from(secret, 'utf8'),
        EncryptionContext: { [this.contextKey]: subscriptionId },
      }),
    );
    return `kms:v1:${Buffer.from(out.CiphertextBlob!).toString('base64')}`;
  }

  async open(subscriptionId: string, sealed: string): Promise<string> {
    if (!sealed.startsWith('kms:v1:')) throw new Error('the sealed secret was not sealed by KMS');
    const { sdk, client } = await this.kms();
    const out = await client.send(
      new sdk.DecryptCommand({
        KeyId: this.keyId,
        CiphertextBlob: Buffer.from(sealed.slice('kms:v1:'.length), 'base64'),
        EncryptionContext: { [this.contextKey]: subscriptionId },
      }),
    );
    return Buffer.from(out.Plaintext!).toString('utf8');
  }
}
