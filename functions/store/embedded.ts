/**
 * A DynamoDB that runs inside the process (dynalite), for `npm start` and the tests, and the one way this
 * product builds its DynamoDB client.
 *
 * dynalite speaks DynamoDB's HTTP API over LevelDB: in memory, or on disk under a folder (classic-level)
 * so data survives a restart. It has no transactions and no TTL expiry, which is why the store only ever
 * uses single-item conditional writes and checks expiry in code.
 *
 * @example
 * ```ts
 * const dynamo = await startEmbeddedDynamo({ dataDir: '.data/dynamodb' });
 * const client = createDynamoClient({ endpoint: dynamo.endpoint });
 * await ensureTable(client, 'wechat-kf');
 * // ...
 * client.destroy();
 * await dynamo.stop();
 * ```
 */
import { mkdirSync } from 'fs';
import type { AddressInfo } from 'net';
import type { Server } from 'http';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { closeLevelIteratorsOnReturn } from './level-iterator-close';

/** What dynalite's factory takes (it ships no types). */
interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite has no type declarations; a typed require keeps that local instead of declaring a global module.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadDynalite = (): ((options: DynaliteOptions) => Server) => require('dynalite');

export interface EmbeddedDynamoOptions {
  /** Keep the data on disk under this folder (created if missing); in memory when absent. */
  dataDir?: string;
  /** The port on 127.0.0.1; a free one when absent or 0. */
  port?: number;
}

/** A running embedded DynamoDB. */
export interface EmbeddedDynamo {
  /** e.g. `http://127.0.0.1:45123`. */
  endpoint: string;
  /** Stops the server and closes its data files; a later start on the same folder sees the same data. */
  stop(): Promise<void>;
}

/**
 * Starts dynalite in this process on 127.0.0.1, with tables ACTIVE at once.
 *
 * Only one process can hold an on-disk folder at a time (LevelDB locks it).
 *
 * @example
 * ```ts
 * const { endpoint, stop } = await startEmbeddedDynamo();
 * ```
 */
export async function startEmbeddedDynamo(options: EmbeddedDynamoOptions = {}): Promise<EmbeddedDynamo> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // dynalite releases its iterators with a method abstract-level 3 lacks: without this each query keeps one open.
  closeLevelIteratorsOnReturn();
  const server = loadDynalite()({ path: options.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        // dynalite's close waits for open connections, then closes LevelDB. SDK clients keep sockets alive,
        // so drop them: otherwise close waits for their idle timeout.
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

export interface DynamoClientOptions {
  /** Where DynamoDB is; else `DYNAMODB_ENDPOINT`; else the SDK's own resolution (AWS_ENDPOINT_URL_DYNAMODB, the region's endpoint). */
  endpoint?: string;
  /** Default: the SDK's resolution (AWS_REGION); `us-east-1` for an explicit endpoint when none is set. */
  region?: string;
  /** Tries per request, the first included. Default 3. */
  maxAttempts?: number;
  /** Per-request timeout. Default 5 s (DynamoDB answers in milliseconds; a hung connection should fail fast). */
  requestTimeoutMs?: number;
  /** Anything else for the client. */
  config?: DynamoDBClientConfig;
}

/**
 * Builds the DynamoDB client every part of the product uses.
 *
 * With an explicit endpoint (argument or `DYNAMODB_ENDPOINT`, e.g. the embedded one) and no AWS
 * credentials in the environment, it signs with dummy credentials: local stand-ins accept any.
 *
 * @example
 * ```ts
 * const client = createDynamoClient(); // Lambda: the region's DynamoDB
 * const local = createDynamoClient({ endpoint: 'http://127.0.0.1:8000' });
 * ```
 */
export function createDynamoClient(options: DynamoClientOptions = {}): DynamoDBClient {
  const endpoint = options.endpoint ?? (process.env.DYNAMODB_ENDPOINT || undefined);
  const config: DynamoDBClientConfig = {
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: { requestTimeout: options.requestTimeoutMs ?? 5_000, connectionTimeout: 2_000 },
    ...options.config,
  };
  if (options.region) config.region = options.region;
  if (endpoint) {
    config.endpoint = endpoint;
    config.region ??= process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
    if (!config.credentials && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) {
      config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    }
  }
  return new DynamoDBClient(config);
}
