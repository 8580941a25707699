/**
 * The whole product on one machine: every route of docs/configuration.md's contract, served by the same handlers the
 * Lambda functions run, through API Gateway-shaped events, on an embedded (or external) DynamoDB, against
 * WeChat or the sandbox.
 *
 * @example
 * ```ts
 * const local = await startLocal({ port: 0, dataDir: '/tmp/wechat-kf' });
 * console.log(local.url, local.sandbox?.url);
 * await local.stop();
 * ```
 */
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { join } from 'path';
import { ConfigurationError } from '../../core/errors';
import { readFlag } from '../../core/flags';
import { parseSandboxAccounts, startSandbox, type Sandbox, type SandboxAccountEntry } from '../sandbox';
import { createDynamoClient, ensureTable, LocalQueue, startEmbeddedDynamo } from '../../store';
import { createCallbackHandler } from '../../lambda/callback-handler';
import { configFromEnv, type WeChatSecrets } from '../../context/config';
import { requestRefusal } from './request-guard';
import { createContext, type AppContext } from '../../context/context';
import { CATALOGUE, getOperation, type Operation } from '../../core/catalogue';
import { enabledFunctions, functionsFor, settingIsOn, type LambdaFunctionSpec } from '../../lambda/functions';
import { createInteractionsHandler } from '../../lambda/interactions-handler';
import { createOperationHandler } from '../../lambda/operation-handler';
import { MemoryPublisher } from '../../context/publisher';
import { WebhookFanOut } from '../../webhooks/fan-out';
import { addressPolicyFromEnv, createWebhookRuntime, maxInFlightFromEnv, type WebhookRuntime } from '../../webhooks/runtime';
import { LocalKeySealer } from '../../webhooks/sealer';
import { createConsoleRoutes } from '../console/routes';
import { catalogueJson } from '../console/catalogue-json';
import { behaviourSettingsOf } from '../doctor/behaviour-checks';
import { runDoctor } from '../doctor/checks';
import { resolveCallbackMode, type CallbackMode } from '../../core/callback';
import { setLogLocation } from '../../http/http';
import { lockDataDir } from './data-dir-lock';
import { privateDataDir } from './private-data';
import { LocalGateway, sendError, type GatewayHandler } from './gateway';
import { FanOutPublisher, LocalDeliveryWorker } from './webhooks';
import { consoleTurn, LocalTurnQueue } from './turns';
import { contextOrGone } from '../../context/accounts';
import { createAccountOperationsHandler } from '../../lambda/account-operations-handler';

/** The callback token used in sandbox mode when WECHAT_CALLBACK_TOKEN is not set. */
export const SANDBOX_CALLBACK_TOKEN = 'sandboxToken2026';

export interface LocalOptions {
  /** Default 3000; 0 picks a free port. */
  port?: number;
  host?: string;
  /** The environment to read (docs/configuration.md's variables). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Where the embedded DynamoDB keeps its data; default DATA_DIR or `.data`. */
  dataDir?: string;
  /** The sandbox's port in sandbox mode; default SANDBOX_PORT or a free one. */
  sandboxPort?: number;
  /** The clock, for tests. */
  now?: () => number;
  /** The waits between webhook delivery tries (tests shorten them); default the deployed schedule. */
  webhookRetryDelaysMs?: readonly number[];
  /** The operations to serve. Default the product's CATALOGUE. */
  catalogue?: readonly Operation[];
  /** How long the sandbox waits for the answer to one try of a push (tests shorten it); default WeChat's 5000 ms. */
  sandboxPushTimeoutMs?: number;
}

export interface LocalProduct {
  url: string;
  /** How pushes to /callback are checked (WECHAT_CALLBACK_MODE): plain, compatible or safe. */
  callbackMode: CallbackMode;
  /** The folder holding the embedded DynamoDB, the sandbox's state and the webhook key. */
  dataDir: string;
  /** The sandbox, in sandbox mode. */
  sandbox?: Sandbox;
  context: AppContext;
  /** Inbound messages and events published by the callback. */
  events: MemoryPublisher;
  /** Webhook subscriptions and their delivery (the same code as deployed, on the embedded table). */
  webhooks: WebhookRuntime & { queue: LocalQueue };
  routes: string[];
  stop(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** The on/off variables of the local product (docs/configuration.md). */
const LOCAL_FLAGS = ['TOKEN_VENDING', 'DELIVERY_RECORD_CONTENT', 'MEDIA_URL_ALLOW_PRIVATE', 'SANDBOX_NO_KF_API'] as const;

/**
 * Checks the variables only the local server reads, naming each variable (not an internal option) and
 * what it must be, before anything starts.
 *
 * @throws {ConfigurationError} e.g. "WECHAT_ENCODING_AES_KEY must be 43 characters ...".
 */
export function checkLocalEnv(env: NodeJS.ProcessEnv): void {
  const key = env.WECHAT_ENCODING_AES_KEY;
  if (key) {
    if (key.length !== 43) {
      throw new ConfigurationError(
        `WECHAT_ENCODING_AES_KEY must be 43 characters (the EncodingAESKey of the server configuration); the one set has ${key.length}`,
      );
    }
    if (!/^[A-Za-z0-9+/]{43}$/.test(key))
      throw new ConfigurationError('WECHAT_ENCODING_AES_KEY must be 43 characters of A-Z, a-z, 0-9, + and /');
  }
  const token = env.WECHAT_CALLBACK_TOKEN;
  if (token !== undefined && token !== '' && !/^[A-Za-z0-9]{3,32}$/.test(token)) {
    throw new ConfigurationError(
      'WECHAT_CALLBACK_TOKEN must be 3 to 32 letters or digits (the Token of the server configuration, as WeChat requires)',
    );
  }
  // Every on/off variable, read by the one flag reader before anything starts (core/flags.ts): `yes` is on,
  // `maybe` stops the start naming the variable, whichever variable it is.
  for (const name of LOCAL_FLAGS) readFlag(env, name);
  for (const name of ['PORT', 'SANDBOX_PORT'] as const) {
    const value = env[name];
    if (value !== undefined && value !== '' && !(/^[0-9]{1,5}$/.test(value) && Number(value) <= 65535)) {
      throw new ConfigurationError(`${name} must be a port number (0-65535), got ${JSON.stringify(value)}`);
    }
  }
}

/**
 * Starts the product locally. With neither WECHAT_APP_ID nor WECHAT_APP_SECRET set, it starts the
 * sandbox in-process and points both the API calls and the sandbox's pushes at it.
 */
export async function startLocal(options: LocalOptions = {}): Promise<LocalProduct> {
  const env = options.env ?? process.env;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigurationError(`PORT must be a port number, got ${JSON.stringify(env.PORT)}`);
  if (Boolean(env.WECHAT_APP_ID) !== Boolean(env.WECHAT_APP_SECRET)) {
    throw new ConfigurationError('set both WECHAT_APP_ID and WECHAT_APP_SECRET to use WeChat, or neither to use the sandbox');
  }
  checkLocalEnv(env);
  const sandboxMode = !env.WECHAT_APP_ID;
  const catalogue = options.catalogue ?? CATALOGUE;
  const dataDir = options.dataDir ?? env.DATA_DIR ?? '.data';
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };

  try {
    // DATA_DIR holds the access token: 0700, its files 0600, and so are the files written while running (private-data.ts).
    const restoreUmask = privateDataDir(dataDir);
    stops.push(async () => restoreUmask());
    // One npm start per DATA_DIR: a second one is told which process holds it (data-dir-lock.ts).
    const release = lockDataDir(dataDir);
    stops.push(async () => release());
    // The port opens only once every handler is ready (below): a request that came while the product
    // was starting used to be accepted and never answered.
    const server = createServer();
    let url = `http://${host}:${port}`;
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    setLogLocation(`the output of npm start (the terminal running process ${process.pid})`);

    let endpoint = env.DYNAMODB_ENDPOINT || undefined;
    if (!endpoint) {
      const embedded = await startEmbeddedDynamo({ dataDir: join(dataDir, 'dynamodb') });
      stops.push(() => embedded.stop());
      endpoint = embedded.endpoint;
    }
    const dynamo = createDynamoClient({ endpoint });
    stops.push(async () => dynamo.destroy());
    const config = configFromEnv({ ...env, DYNAMODB_ENDPOINT: endpoint });
    await ensureTable(dynamo, config.tableName);

    let secrets: WeChatSecrets;
    let sandbox: Sandbox | undefined;
    // SANDBOX_ACCOUNTS: more official accounts in the sandbox, each added to the product as an account (docs/accounts.md).
    const sandboxAccounts: SandboxAccountEntry[] = sandboxMode ? parseSandboxAccounts(env.SANDBOX_ACCOUNTS) : [];
    if (sandboxMode) {
      const callbackToken = env.WECHAT_CALLBACK_TOKEN || SANDBOX_CALLBACK_TOKEN;
      const encodingAesKey = env.WECHAT_ENCODING_AES_KEY || undefined;
      sandbox = await startSandbox({
        port: options.sandboxPort ?? (env.SANDBOX_PORT ? Number(env.SANDBOX_PORT) : 0),
        now: options.now,
        rules: config.windowRules,
        // Its users, kf accounts and tokens stay for the next start, as the product's table does.
        stateFile: join(dataDir, 'sandbox.json'),
        quiet: true,
        pushTimeoutMs: options.sandboxPushTimeoutMs,
        // SANDBOX_NO_KF_API=true: an account without the customer-service API (48001), for REPLY_MODE=passive.
        customerServiceApi: !readFlag(env, 'SANDBOX_NO_KF_API'),
        accounts: sandboxAccounts.map(({ appId, appSecret, ghId, wechatId }) => ({
          appId,
          appSecret,
          ...(ghId ? { ghId } : {}),
          ...(wechatId ? { wechatId } : {}),
        })),
      });
      stops.push(() => sandbox!.stop());
      config.apiBaseUrl = sandbox.url;
      secrets = { appId: sandbox.appId, appSecret: sandbox.appSecret, callbackToken, encodingAesKey };
    } else {
      secrets = {
        appId: env.WECHAT_APP_ID!,
        appSecret: env.WECHAT_APP_SECRET!,
        callbackToken: env.WECHAT_CALLBACK_TOKEN || undefined,
        encodingAesKey: env.WECHAT_ENCODING_AES_KEY || undefined,
      };
    }

    // Webhooks: locally any address may be subscribed (http only to loopback); the secret key lives in DATA_DIR.
    const webhooks = createWebhookRuntime({
      dynamo,
      tableName: config.tableName,
      sealer: LocalKeySealer.fromFile(join(dataDir, 'webhook-secret.key')),
      addressPolicy: addressPolicyFromEnv(env, 'any'),
      allowLoopbackHttp: true,
      now: options.now,
      maxInFlight: maxInFlightFromEnv(env),
      // Redrives and test events go through the local queue, as the fan-out's deliveries do.
      enqueue: (messages) => worker.enqueue(messages),
    });
    const queue = new LocalQueue({ client: dynamo, tableName: config.tableName, name: 'webhook-delivery', now: options.now });
    const worker = new LocalDeliveryWorker({
      queue,
      deliverer: webhooks.deliverer,
      retryDelaysMs: options.webhookRetryDelaysMs,
      perSubscription: maxInFlightFromEnv(env),
    });
    worker.start();
    stops.push(() => worker.stop());

    const events = new MemoryPublisher();
    const publisher = new FanOutPublisher(
      events,
      new WebhookFanOut({ subscriptions: webhooks.subscriptions, enqueue: (m) => worker.enqueue(m), now: options.now }),
      options.now,
    );
    // Turn timers (TURN_QUIET_MS; docs/turns.md): the local queue in the embedded table in place of SQS.
    const turnQueue = new LocalTurnQueue({
      queue: new LocalQueue({ client: dynamo, tableName: config.tableName, name: 'turn-timer', now: options.now, visibilityMs: 10_000 }),
    });
    const context = await createContext({
      config,
      secrets: async () => secrets,
      dynamo,
      publisher,
      now: options.now,
      webhooks,
      turnTimer: turnQueue,
      // Added accounts' secrets (POST /accounts), sealed with a key kept in DATA_DIR, as webhook secrets are.
      accountSealer: LocalKeySealer.fromFile(join(dataDir, 'account-secret.key')),
      env,
    });
    turnQueue.start(async (message) => (await contextOrGone(context.accounts, message.appId))?.turns);
    // Each extra sandbox account is an account of the product, with the sandbox's callback token and key
    // unless the entry names its own (added once: the embedded table keeps it for the next start).
    for (const entry of sandboxAccounts) {
      const known = await context.accounts
        .service()
        .get(entry.appId)
        .catch(() => undefined);
      if (known) continue;
      await context.accounts.service().create({
        appId: entry.appId,
        appSecret: entry.appSecret,
        callbackToken: entry.callbackToken ?? secrets.callbackToken,
        ...((entry.encodingAesKey ?? secrets.encodingAesKey) ? { encodingAesKey: entry.encodingAesKey ?? secrets.encodingAesKey } : {}),
        ghId: sandbox!.account(entry.appId).ghId,
        name: `sandbox account ${entry.appId}`,
        settings: {},
      });
    }
    stops.push(() => turnQueue.stop());
    const getContext = async () => context;
    const handlers = new Map<string, GatewayHandler>();
    const handlerFor = (fn: LambdaFunctionSpec): GatewayHandler => {
      let h = handlers.get(fn.id);
      if (!h) {
        if (fn.entry === 'operation') h = createOperationHandler(getOperation(fn.operation!, catalogue), getContext) as GatewayHandler;
        else if (fn.entry === 'callback') h = createCallbackHandler(getContext) as GatewayHandler;
        else if (fn.entry === 'interactions') h = createInteractionsHandler(getContext) as GatewayHandler;
        else if (fn.entry === 'account-operations') h = createAccountOperationsHandler(getContext, catalogue) as GatewayHandler;
        else throw new Error(`${fn.id} has no HTTP route`);
        handlers.set(fn.id, h);
      }
      return h;
    };
    // Operations off by default (route.enabledBy) are served only when their setting is on in the environment.
    const allFunctions = functionsFor(catalogue);
    const functions = enabledFunctions(allFunctions, (setting) => settingIsOn(env, setting));
    // The routes of what is off answer a 404 that says which setting turns them on.
    const gateway = new LocalGateway(
      functions,
      handlerFor,
      allFunctions.filter((fn) => !functions.includes(fn)),
    );
    const served = new Set(functions.map((fn) => fn.operation).filter(Boolean));
    // The console (/console/...) and the doctor (GET /doctor) beside the API: see functions/dev/console/routes.ts.
    const consoleRoutes = createConsoleRoutes({
      mode: sandbox ? 'sandbox' : 'wechat',
      sandboxUrl: sandbox?.url,
      catalogue: () => catalogueJson((name) => served.has(name), catalogue),
      facts: { AppID: secrets.appId, 'window policy': config.windowPolicy, rules: config.windowRules },
      // Turns closing, for the chat (docs/turns.md): the events the closer publishes, as they are published.
      turns: config.turns
        ? {
            settings: config.turns,
            subscribe: (listener) => events.onEvent((e) => (e.detailType.startsWith('turn.') ? listener(consoleTurn(e)) : undefined)),
          }
        : undefined,
      doctor: () =>
        runDoctor({
          ...secrets,
          apiBaseUrl: config.apiBaseUrl,
          // In sandbox mode the sandbox pushes to this server's own /callback; with WeChat, only the URL WeChat uses means anything.
          callbackUrl: env.WECHAT_CALLBACK_URL || (sandbox ? `${url}/callback` : undefined),
          replyMode: config.passive.replyMode,
          behaviour: behaviourSettingsOf(env),
        }),
    });
    server.on('request', (req, res) => {
      // Before any route: another website in the user's browser may not drive the product (request-guard.ts).
      const refusal = requestRefusal(req, host);
      if (refusal) {
        req.resume();
        sendError(res, 403, refusal.code, refusal.message);
        return;
      }
      consoleRoutes
        .handle(req, res)
        .then((done) => (done ? undefined : gateway.handle(req, res)))
        .catch((error) => {
          console.error(`local server: ${(error as Error).message}`);
          if (!res.headersSent) res.writeHead(500).end();
        });
    });
    url = `http://${host}:${await listen(server, port, host)}`;
    const callbackMode = resolveCallbackMode(config.callbackMode, Boolean(secrets.encodingAesKey));
    if (sandbox) {
      sandbox.configureCallback({
        url: `${url}/callback`,
        token: secrets.callbackToken!,
        encodingAesKey: secrets.encodingAesKey,
        mode: callbackMode,
      });
      // Each extra account pushes to its own /callback/{appId}, signed with its own token (docs/accounts.md).
      for (const entry of sandboxAccounts) {
        const key = entry.encodingAesKey ?? secrets.encodingAesKey;
        sandbox.account(entry.appId).configureCallback({
          url: `${url}/callback/${entry.appId}`,
          token: entry.callbackToken ?? secrets.callbackToken!,
          ...(key ? { encodingAesKey: key } : {}),
          mode: callbackMode,
        });
      }
    }
    return {
      url,
      sandbox,
      context,
      events,
      webhooks: { ...webhooks, queue },
      routes: gateway.describeRoutes(),
      callbackMode,
      dataDir,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
