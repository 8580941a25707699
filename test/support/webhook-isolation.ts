/**
 * The isolation scenario of issue 28 (docs/webhooks.md, "Isolation"), shared by its tests and `npm run bench
 * -- isolation`: seven subscriptions, one healthy receiver, one that answers only after 15 s, five that
 * answer 500; `events` events published `intervalMs` apart; how long each event took to reach the healthy
 * receiver. Deployed-shaped (the fan-out and delivery handlers, driven by an SQS queue and event source
 * mapping in memory, with real SQS event shapes) or under `npm start` (startLocal, events pushed by the
 * sandbox through /callback).
 */
import { mkdtempSync, rmSync } from 'fs';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { createDeliveryHandler } from '../../functions/lambda/webhook-delivery';
import { createFanOutHandler } from '../../functions/lambda/webhook-fanout';
import { createWebhookRuntime, type WebhookRuntime } from '../../functions/webhooks/runtime';
import { LocalKeySealer } from '../../functions/webhooks/sealer';
import { createSubscription } from '../../functions/webhooks/subscriptions-api';
import { startLocal } from '../../functions/dev/local/server';
import { WEBHOOK_DELIVERY_CONCURRENCY, WEBHOOK_MAX_ATTEMPTS } from '../../infra/lib/webhooks';
import { eventBridgeEvent } from './aws-events';
import { startTestDynamo } from './dynamo';
import { SqsSimulator } from './sqs-simulator';

export interface IsolationResult {
  /** Milliseconds from publish to the healthy receiver, per event, sorted. */
  latenciesMs: number[];
  delivered: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The slow subscription as GET /subscriptions/{id} showed it at the end. */
  slow: { status: string; oldestPendingAgeSeconds: number | null };
  /** The failing subscriptions' statuses at the end. */
  failing: string[];
}

export interface IsolationOptions {
  events?: number;
  intervalMs?: number;
  /** How long to wait for the healthy receiver to have every event. */
  waitMs?: number;
  /** Slow and failing receivers beside the healthy one (default 1 and 5; 0 and 0 for the baseline). */
  slow?: number;
  failing?: number;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server };
}

/** The three receivers: healthy (records when each event arrived), slow (15 s), failing (500). */
async function receivers() {
  const arrivals = new Map<string, number>();
  const healthy = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      try {
        const content = JSON.parse(Buffer.concat(chunks).toString('utf8'))?.detail?.message?.Content;
        if (typeof content === 'string' && !arrivals.has(content)) arrivals.set(content, at);
      } catch {
        // not an event of the scenario
      }
      res.writeHead(200).end('ok');
    });
  });
  const slow = await listen((req, res) => {
    req.resume();
    const timer = setTimeout(() => res.writeHead(200).end('late'), 15_000);
    res.on('close', () => clearTimeout(timer));
  });
  const failing = await listen((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(500).end('boom'));
  });
  return {
    arrivals,
    urls: { healthy: healthy.url, slow: slow.url, failing: failing.url },
    async stop() {
      for (const s of [healthy.server, slow.server, failing.server]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}

async function subscribe(runtime: WebhookRuntime, urls: { healthy: string; slow: string; failing: string }, options: IsolationOptions) {
  const healthy = await createSubscription(runtime, { url: urls.healthy, events: ['message.*'] });
  const slow = [];
  for (let i = 0; i < (options.slow ?? 1); i++)
    slow.push(await createSubscription(runtime, { url: `${urls.slow}?n=${i}`, events: ['message.*'] }));
  const failing = [];
  for (let i = 0; i < (options.failing ?? 5); i++)
    failing.push(await createSubscription(runtime, { url: `${urls.failing}?n=${i}`, events: ['message.*'] }));
  return { healthy, slow, failing };
}

async function states(
  runtime: WebhookRuntime,
  subs: Awaited<ReturnType<typeof subscribe>>,
): Promise<Pick<IsolationResult, 'slow' | 'failing'>> {
  const slow = subs.slow[0] ? (await runtime.subscriptions.get(subs.slow[0].id)).deliveries : undefined;
  const failing = await Promise.all(subs.failing.map(async (f) => (await runtime.subscriptions.get(f.id)).deliveries.status));
  return { slow: { status: slow?.status ?? 'none', oldestPendingAgeSeconds: slow?.oldestPendingAgeSeconds ?? null }, failing };
}

async function waitFor(probe: () => boolean, ms: number) {
  const end = Date.now() + ms;
  while (!probe() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
}

function summarise(
  sent: Map<string, number>,
  arrivals: Map<string, number>,
  { slow, failing }: Pick<IsolationResult, 'slow' | 'failing'>,
): IsolationResult {
  const latenciesMs = [...sent]
    .map(([content, at]) => (arrivals.has(content) ? arrivals.get(content)! - at : Infinity))
    .sort((a, b) => a - b);
  const pick = (p: number) => latenciesMs[Math.min(latenciesMs.length - 1, Math.ceil((p / 100) * latenciesMs.length) - 1)]!;
  return { latenciesMs, delivered: arrivals.size, p50Ms: pick(50), p99Ms: pick(99), maxMs: latenciesMs.at(-1)!, slow, failing };
}

/** The deployed shape: fan-out handler → SQS (in memory) → delivery handler, 20 pollers of batches of 10. */
export async function deployedIsolation(options: IsolationOptions = {}): Promise<IsolationResult> {
  const events = options.events ?? 100;
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const dynamo = await startTestDynamo();
  const counts: Record<string, number> = {};
  if (process.env.ISOLATION_COUNT_REQUESTS) {
    dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        counts[context.commandName ?? '?'] = (counts[context.commandName ?? '?'] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize' },
    );
    process.on('beforeExit', () => console.log(JSON.stringify(counts)));
  }
  const r = await receivers();
  const sqs = new SqsSimulator({
    concurrency: WEBHOOK_DELIVERY_CONCURRENCY,
    maxReceiveCount: WEBHOOK_MAX_ATTEMPTS,
    visibilityTimeoutSeconds: 180,
  });
  try {
    const runtime = createWebhookRuntime({
      dynamo: dynamo.client,
      tableName: await dynamo.newTable(),
      sealer: new LocalKeySealer(),
      addressPolicy: 'any',
      allowLoopbackHttp: true,
    });
    const subs = await subscribe(runtime, r.urls, options);
    const fanOut = createFanOutHandler(
      () => runtime,
      (messages) => sqs.send(messages),
    );
    sqs.start(createDeliveryHandler(() => runtime, sqs.changeVisibility, { requeue: sqs.requeue }));
    const sent = new Map<string, number>();
    for (let i = 0; i < events; i++) {
      const content = `isolation-${i}`;
      const event = eventBridgeEvent(`evt-iso-${i}`, 'message.text', {
        appId: 'wx1',
        openid: 'oIso',
        message: { MsgType: 'text', Content: content },
      });
      event.source = 'wechat.kf';
      sent.set(content, Date.now());
      await fanOut(event as never);
      await new Promise((res) => setTimeout(res, options.intervalMs ?? 50));
    }
    await waitFor(() => r.arrivals.size >= events, options.waitMs ?? 15_000);
    return summarise(sent, r.arrivals, await states(runtime, subs));
  } finally {
    await sqs.stop();
    await r.stop();
    await dynamo.stop();
  }
}

/** Under `npm start`: the sandbox pushes each message to /callback; the local queue and worker deliver. */
export async function localIsolation(options: IsolationOptions = {}): Promise<IsolationResult> {
  const events = options.events ?? 100;
  const dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-isolation-'));
  const r = await receivers();
  const product = await startLocal({ port: 0, dataDir, env: {} });
  try {
    const subs = await subscribe(product.webhooks, r.urls, options);
    const sent = new Map<string, number>();
    for (let i = 0; i < events; i++) {
      const content = `isolation-${i}`;
      sent.set(content, Date.now());
      await product.sandbox!.simulateUser('oIsolation', { type: 'text', content });
      await new Promise((res) => setTimeout(res, options.intervalMs ?? 50));
    }
    await waitFor(() => r.arrivals.size >= events, options.waitMs ?? 15_000);
    return summarise(sent, r.arrivals, await states(product.webhooks, subs));
  } finally {
    await product.stop();
    await r.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
