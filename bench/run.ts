/**
 * Benchmarks, run on demand (`npm run bench`), never by `npm test`. Everything runs on this machine:
 * the sandbox stands in for WeChat and dynalite for DynamoDB, so the figures compare this product's own
 * overhead (validation, token cache, window gate, idempotency) with a plain client, not WeChat's latency.
 *
 *   npm run bench                 all scenarios
 *   npm run bench -- validate     one scenario: validate | client | gateway | token | deliveries
 *   BENCH_SENDS=2000 npm run bench
 *
 * The peer is co-wechat-api 3.11 (the most used Node WeChat SDK), pointed at the sandbox.
 */
import '../functions/local/quiet';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { performance } from 'perf_hooks';
import { FetchTransport, InMemoryTokenProvider, MESSAGE_TYPES, parseMessage, WeChatClient } from '../functions/core';
import { startLocal } from '../functions/local/server';
import { startSandbox } from '../functions/sandbox';
import { createDynamoClient, DynamoDbTokenProvider, ensureTable, startEmbeddedDynamo } from '../functions/store';
import { getOperation } from '../functions/core/catalogue';
import { splitText } from '../functions/core/text-split';
import { configFromEnv } from '../functions/handlers/config';
import { createContext, type AppContext } from '../functions/handlers/context';
import { MemoryPublisher } from '../functions/handlers/publisher';
import { performSend } from '../functions/handlers/send';
import { mixedAnswer } from '../test/support/long-text';

const SENDS = Number(process.env.BENCH_SENDS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);

interface Row {
  scenario: string;
  ops: number;
  seconds: number;
  perSecond: number;
  p50ms?: number;
  p95ms?: number;
  note?: string;
}
const rows: Row[] = [];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `total` calls of `fn`, `concurrency` at a time; records throughput and latency. */
async function measure(scenario: string, total: number, concurrency: number, fn: (i: number) => Promise<unknown>, note?: string) {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        await fn(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  rows.push({ scenario, ops: total, seconds, perSecond: total / seconds, p50ms: percentile(latencies, 50), p95ms: percentile(latencies, 95), note });
}

async function benchValidate() {
  const bodies = MESSAGE_TYPES.map((type) => ({
    touser: 'oBench',
    msgtype: type,
    [type]:
      type === 'text' ? { content: 'hello' } : type === 'news' ? { articles: [{ title: 't', url: 'http://u' }] } : type === 'msgmenu' ? { list: [{ id: '1', content: 'a' }] } : type === 'wxcard' ? { card_id: 'c' } : type === 'miniprogrampage' ? { title: 't', appid: 'a', pagepath: 'p', thumb_media_id: 'm' } : type === 'mpnewsarticle' ? { article_id: 'a' } : type === 'music' ? { musicurl: 'm', hqmusicurl: 'h', thumb_media_id: 't' } : type === 'video' ? { media_id: 'm', thumb_media_id: 't' } : { media_id: 'm' },
  }));
  const n = 20_000;
  const start = performance.now();
  for (let i = 0; i < n; i++) parseMessage(bodies[i % bodies.length]);
  const seconds = (performance.now() - start) / 1000;
  rows.push({ scenario: 'validate: parse a custom/send body (all 11 types)', ops: n, seconds, perSecond: n / seconds });
}

async function benchClient() {
  const sandbox = await startSandbox({ quiet: true, rules: 'seed' });
  try {
    for (let u = 0; u < CONCURRENCY; u++) await sandbox.simulateUser(`oBench${u}`, { type: 'text', content: 'hi' });
    const transport = new FetchTransport();
    const client = new WeChatClient({ transport, baseUrl: sandbox.url, tokens: new InMemoryTokenProvider({ transport, baseUrl: sandbox.url, appId: sandbox.appId, appSecret: sandbox.appSecret }) });
    await measure('client: core WeChatClient sendText → sandbox', SENDS, CONCURRENCY, (i) => client.call('sendText', { touser: `oBench${i % CONCURRENCY}`, text: { content: `m${i}` } }));

    // The peer, co-wechat-api, with its URL prefixes pointed at the sandbox.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const WechatAPI = require('co-wechat-api');
    const api = new WechatAPI(sandbox.appId, sandbox.appSecret);
    api.prefix = `${sandbox.url}/cgi-bin/`;
    api.customservicePrefix = `${sandbox.url}/customservice/`;
    await measure('peer: co-wechat-api sendText → sandbox', SENDS, CONCURRENCY, (i) => api.sendText(`oBench${i % CONCURRENCY}`, `m${i}`));
    rows.at(-1)!.note = `its token fetches: ${sandbox.count('/cgi-bin/token')} (cgi-bin/token, no sharing across processes)`;
  } finally {
    await sandbox.stop();
  }
}

async function benchGateway() {
  const dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-bench-'));
  const product = await startLocal({ port: 0, dataDir, env: { WINDOW_RULES: 'seed' } });
  try {
    for (let u = 0; u < CONCURRENCY; u++) await product.sandbox!.simulateUser(`oGate${u}`, { type: 'text', content: 'hi' });
    const send = async (i: number) => {
      const res = await fetch(`${product.url}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ touser: `oGate${i % CONCURRENCY}`, msgtype: 'text', text: { content: `m${i}` } }),
      });
      if (res.status !== 200) throw new Error(`send ${i}: HTTP ${res.status} ${await res.text()}`);
    };
    await measure('gateway: POST /messages (validate + window gate on DynamoDB + WeChat)', SENDS, CONCURRENCY, send, 'local server, embedded dynalite');
  } finally {
    await product.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchToken() {
  const sandbox = await startSandbox({ quiet: true });
  const dynamo = await startEmbeddedDynamo({});
  try {
    const runs = 5;
    let total = 0;
    let fetches = 0;
    for (let r = 0; r < runs; r++) {
      const table = `bench-token-${r}`;
      const client = createDynamoClient({ endpoint: dynamo.endpoint });
      await ensureTable(client, table);
      const providers = Array.from({ length: 5 }, () => new DynamoDbTokenProvider({ client, tableName: table, fetch: { transport: new FetchTransport(), baseUrl: sandbox.url, appId: sandbox.appId, appSecret: sandbox.appSecret } }));
      const before = sandbox.count('/cgi-bin/stable_token');
      const start = performance.now();
      await Promise.all(Array.from({ length: 50 }, (_, i) => providers[i % 5]!.getToken()));
      total += performance.now() - start;
      fetches += sandbox.count('/cgi-bin/stable_token') - before;
    }
    rows.push({ scenario: 'token: 50 cold callers over 5 containers, until all hold the token', ops: runs, seconds: total / 1000, perSecond: runs / (total / 1000), p50ms: total / runs, note: `WeChat token fetches: ${fetches} in ${runs} runs` });
  } finally {
    await dynamo.stop();
    await sandbox.stop();
  }
}

/**
 * What the delivery record adds to a send: the same sends through performSend, with the real record (a
 * BatchWriteItem on dynalite, awaited before the send answers) and with a record store that writes
 * nothing. Both publish to memory. The difference of the medians is the added latency per send.
 */
async function benchDeliveries() {
  const sandbox = await startSandbox({ quiet: true, rules: 'seed' });
  const dynamo = await startEmbeddedDynamo({});
  try {
    const client = createDynamoClient({ endpoint: dynamo.endpoint });
    const config = configFromEnv({ TABLE_NAME: 'bench-deliveries', WECHAT_API_BASE_URL: sandbox.url, DYNAMODB_ENDPOINT: dynamo.endpoint, WINDOW_RULES: 'seed' });
    await ensureTable(client, config.tableName);
    const ctx = await createContext({ config, dynamo: client, publisher: new MemoryPublisher(), secrets: async () => ({ appId: sandbox.appId, appSecret: sandbox.appSecret }) });
    for (let u = 0; u < CONCURRENCY; u++) {
      await sandbox.simulateUser(`oRec${u}`, { type: 'text', content: 'hi' });
      await ctx.windows.recordInbound(`oRec${u}`, 'message', Date.now());
    }
    const op = getOperation('sendText');
    const send = (c: AppContext) => (i: number) => performSend(c, op, op.parse({ touser: `oRec${i % CONCURRENCY}`, text: { content: `m${i}` } }, c.client.options));
    const unrecorded: AppContext = { ...ctx, deliveries: Object.assign(Object.create(ctx.deliveries), { record: async () => undefined }) };
    await send(ctx)(0); // warm the token
    // Alternate rounds, so a busy machine slows both alike; the last two rows are kept.
    for (let round = 0; round < 3; round++) {
      if (round > 0) rows.splice(-2);
      await measure('deliveries: a send without its record write (baseline)', SENDS, CONCURRENCY, send(unrecorded));
      await measure('deliveries: a send with its record (BatchWriteItem, awaited before answering)', SENDS, CONCURRENCY, send(ctx));
    }
    const [without, withRecord] = rows.slice(-2);
    withRecord!.note = `added per send: p50 ${(withRecord!.p50ms! - without!.p50ms!).toFixed(1)} ms, p95 ${(withRecord!.p95ms! - without!.p95ms!).toFixed(1)} ms; before WeChat still one write (the gate)`;
    const long = mixedAnswer(10_000);
    await measure('deliveries: split a 10 000-byte mixed answer (core, no I/O)', 200, 1, async () => splitText(long));
  } finally {
    await dynamo.stop();
    await sandbox.stop();
  }
}

const SCENARIOS: Record<string, () => Promise<void>> = { validate: benchValidate, client: benchClient, gateway: benchGateway, token: benchToken, deliveries: benchDeliveries };

async function main() {
  const wanted = process.argv.slice(2).filter((a) => a !== '--');
  for (const name of wanted) if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}; choose from ${Object.keys(SCENARIOS).join(', ')}`);
  for (const [name, run] of Object.entries(SCENARIOS)) if (wanted.length === 0 || wanted.includes(name)) await run();
  console.log(`node ${process.version}, ${SENDS} sends, concurrency ${CONCURRENCY}\n`);
  for (const r of rows) {
    const lat = r.p50ms !== undefined ? `  p50 ${r.p50ms.toFixed(1)} ms${r.p95ms !== undefined ? `, p95 ${r.p95ms.toFixed(1)} ms` : ''}` : '';
    console.log(`${r.scenario}\n  ${r.perSecond.toFixed(0)}/s over ${r.ops} in ${r.seconds.toFixed(2)} s${lat}${r.note ? `  (${r.note})` : ''}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
