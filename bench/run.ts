/**
 * Benchmarks, run on demand (`npm run bench`), never by `npm test`. Everything runs on this machine:
 * the sandbox stands in for WeChat and dynalite for DynamoDB, so the figures compare this product's own
 * overhead (validation, token cache, window gate, idempotency) with a plain client, not WeChat's latency.
 *
 *   npm run bench                 all scenarios
 *   npm run bench -- validate     one scenario: validate | client | gateway | token | deliveries | bundles | turns | isolation
 *   npm run bench -- memory       npm start's memory over 60 000 sends under faults (BENCH_MEMORY_SENDS); only when named
 *   BENCH_SENDS=2000 npm run bench
 *
 * Each figure is printed beside its peer, measured in the same run: co-wechat-api 3.11 (the most used Node
 * WeChat SDK, pointed at the sandbox) for the client, a hello-world function for the cold start, the
 * same send without its record for the delivery record. The machine's load is printed with the table.
 */
import '../functions/dev/local/quiet';
import { execFile, execFileSync, spawn } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { createServer, request as httpRequest } from 'http';
import type { AddressInfo } from 'net';
import { cpus, loadavg, tmpdir } from 'os';
import { join } from 'path';
import { performance } from 'perf_hooks';
import { build } from 'esbuild';
import * as coreSource from '../functions/core';
import { FetchTransport, MESSAGE_TYPES, parseMessage, type HttpTransport } from '../functions/core';
import { NodeHttpTransport } from '../functions/core/node-transport';
import { enabledFunctions, LAMBDA_FUNCTIONS, OPERATION_ENV } from '../functions/lambda/functions';
import { LAMBDA_BUNDLE_MAX_BYTES, lambdaBuildOptions, sdkBundlingFor } from '../infra/lib/bundling';
import { buildBundles } from '../test/support/bundles';
import { startLocal } from '../functions/dev/local/server';
import { startSandbox } from '../functions/dev/sandbox';
import { createDynamoClient, DynamoDbTokenProvider, ensureTable, startEmbeddedDynamo } from '../functions/store';
import { getOperation } from '../functions/core/catalogue';
import { splitText } from '../functions/core/text-split';
import { configFromEnv } from '../functions/context/config';
import { createContext, type AppContext } from '../functions/context/context';
import { MemoryPublisher } from '../functions/context/publisher';
import { perform } from '../functions/context/run-ports';
import { mixedAnswer } from '../test/support/long-text';
import { deployedIsolation, localIsolation, type IsolationResult } from '../test/support/webhook-isolation';

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
  /** The figure as the table shows it, when throughput and latency are not the point (sizes, load times). */
  figure?: string;
  /** The peer's figure beside it, from the same run. */
  peer?: string;
}
const rows: Row[] = [];

/** The table row of a throughput measurement: sends/s and p50, for the figure or the peer column. */
const rate = (r: Row) => `${r.perSecond.toFixed(0)}/s, p50 ${r.p50ms!.toFixed(1)} ms`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The median of unsorted figures (the 50th percentile). */
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

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
  rows.push({
    scenario,
    ops: total,
    seconds,
    perSecond: total / seconds,
    p50ms: percentile(latencies, 50),
    p95ms: percentile(latencies, 95),
    note,
  });
}

async function benchValidate() {
  const bodies = MESSAGE_TYPES.map((type) => ({
    touser: 'oBench',
    msgtype: type,
    [type]:
      type === 'text'
        ? { content: 'hello' }
        : type === 'news'
          ? { articles: [{ title: 't', url: 'http://u' }] }
          : type === 'msgmenu'
            ? { list: [{ id: '1', content: 'a' }] }
            : type === 'wxcard'
              ? { card_id: 'c' }
              : type === 'miniprogrampage'
                ? { title: 't', appid: 'a', pagepath: 'p', thumb_media_id: 'm' }
                : type === 'mpnewsarticle'
                  ? { article_id: 'a' }
                  : type === 'music'
                    ? { musicurl: 'https://example.com/m.mp3', hqmusicurl: 'https://example.com/h.mp3', thumb_media_id: 't' }
                    : type === 'video'
                      ? { media_id: 'm', thumb_media_id: 't' }
                      : { media_id: 'm' },
  }));
  const n = 20_000;
  const start = performance.now();
  for (let i = 0; i < n; i++) parseMessage(bodies[i % bodies.length]);
  const seconds = (performance.now() - start) / 1000;
  rows.push({ scenario: 'validate: parse a custom/send body (all 11 types)', ops: n, seconds, perSecond: n / seconds });
}

/**
 * The client as it runs deployed: `client-subject.ts` bundled with the Lambda functions' own esbuild
 * options (infra/lib/bundling.ts), loaded from that bundle. The same client from its TypeScript source
 * through tsx (what `npm start`'s local server runs) is measured beside it.
 */
async function bundledClient(dir: string): Promise<typeof import('./client-subject')> {
  const outfile = join(dir, 'client-subject.js');
  await build({ ...lambdaBuildOptions(join(__dirname, 'client-subject.ts'), outfile), sourcemap: false });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(outfile);
}

async function benchClient() {
  const dir = mkdtempSync(join(tmpdir(), 'wechat-kf-client-'));
  const bundled = await bundledClient(dir);
  const sandbox = await startSandbox({ quiet: true, rules: 'seed' });
  const keepAlive = new bundled.NodeHttpTransport();
  const keepAliveSource = new NodeHttpTransport();
  try {
    for (let u = 0; u < CONCURRENCY; u++) await sandbox.simulateUser(`oBench${u}`, { type: 'text', content: 'hi' });
    const tokenFetches = () => sandbox.count('/cgi-bin/token') + sandbox.count('/cgi-bin/stable_token');
    // A new client (and token cache) per round, so each round starts cold as co-wechat-api's does.
    const core = (lib: Pick<typeof bundled, 'WeChatClient' | 'InMemoryTokenProvider'>, transport: HttpTransport) => {
      const client = new lib.WeChatClient({
        transport,
        baseUrl: sandbox.url,
        tokens: new lib.InMemoryTokenProvider({ transport, baseUrl: sandbox.url, appId: sandbox.appId, appSecret: sandbox.appSecret }),
      });
      return (i: number) => client.call('sendText', { touser: `oBench${i % CONCURRENCY}`, text: { content: `m${i}` } });
    };
    // The peer, co-wechat-api, with its URL prefixes pointed at the sandbox; a new instance per round, so
    // each round starts cold (no token) as the core client's does.
    const peer = () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const WechatAPI = require('co-wechat-api');
      const api = new WechatAPI(sandbox.appId, sandbox.appSecret);
      api.prefix = `${sandbox.url}/cgi-bin/`;
      api.customservicePrefix = `${sandbox.url}/customservice/`;
      return (i: number) => api.sendText(`oBench${i % CONCURRENCY}`, `m${i}`);
    };
    const subjects = [
      {
        scenario: 'client: core WeChatClient sendText → sandbox (bundled as Lambda runs it; keep-alive NodeHttpTransport)',
        run: () => core(bundled, keepAlive),
      },
      {
        scenario: 'client: the same from its TypeScript source through tsx (the local server, npm start)',
        run: () => core(coreSource, keepAliveSource),
      },
      { scenario: 'client: core bundled, FetchTransport (for comparison)', run: () => core(bundled, new bundled.FetchTransport()) },
      { scenario: 'peer: co-wechat-api sendText → sandbox', run: peer },
    ];
    // Alternate rounds, so a busy machine slows all alike; each figure is the round with the median rate.
    // Each round starts one subject later, so each follows every other equally often (a round pays for
    // the garbage and the idle connections the one before it left).
    const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
    const taken: Row[][] = subjects.map(() => []);
    const fetches = subjects.map(() => 0);
    // One round of each first, not counted: its sends also pay for compiling the code they run.
    for (const subject of subjects) {
      await measure(subject.scenario, SENDS, CONCURRENCY, subject.run());
      rows.pop();
    }
    for (let round = 0; round < rounds; round++) {
      for (let turn = 0; turn < subjects.length; turn++) {
        const k = (round + turn) % subjects.length;
        const subject = subjects[k]!;
        const before = tokenFetches();
        await measure(subject.scenario, SENDS, CONCURRENCY, subject.run());
        fetches[k] = tokenFetches() - before;
        taken[k]!.push(rows.pop()!);
      }
    }
    const medianRow = (xs: Row[]) => [...xs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(xs.length / 2)]!;
    const range = (xs: Row[]) =>
      `${Math.min(...xs.map((r) => r.perSecond)).toFixed(0)}-${Math.max(...xs.map((r) => r.perSecond)).toFixed(0)}/s`;
    const theirs = medianRow(taken[3]!);
    const peerFigure = `co-wechat-api ${rate(theirs)} (rounds ${range(taken[3]!)})`;
    const share = (r: Row) => `${((r.perSecond / theirs.perSecond) * 100).toFixed(0)} % of the peer`;
    // The same comparison round by round (each against the peer's run of the same round, seconds apart):
    // steadier than the ratio of the medians when the machine's load moves between rounds.
    const perRound = (k: number) =>
      `${(medianRow(taken[k]!.map((r, i) => ({ ...r, perSecond: r.perSecond / taken[3]![i]!.perSecond }))).perSecond * 100).toFixed(0)} % round by round`;
    const [mine, fromSource, viaFetch] = taken.slice(0, 3).map(medianRow);
    rows.push({
      ...mine!,
      figure: `${rate(mine!)} (rounds ${range(taken[0]!)})`,
      peer: peerFigure,
      note: `${share(mine!)} (medians of ${rounds} alternating rounds; ${perRound(0)}); token fetches for ${CONCURRENCY} concurrent first calls: ${fetches[0]} here, ${fetches[3]} co-wechat-api`,
    });
    rows.push({
      ...fromSource!,
      figure: `${rate(fromSource!)} (rounds ${range(taken[1]!)})`,
      peer: `co-wechat-api ${rate(theirs)}`,
      note: `${share(fromSource!)}, ${perRound(1)} (tsx-transformed source, not minified)`,
    });
    rows.push({
      ...viaFetch!,
      figure: `${rate(viaFetch!)} (rounds ${range(taken[2]!)})`,
      peer: `co-wechat-api ${rate(theirs)}`,
      note: `${share(viaFetch!)}, ${perRound(2)} (undici fetch)`,
    });
  } finally {
    keepAlive.close();
    keepAliveSource.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A proxy in front of DynamoDB that counts requests by operation (X-Amz-Target), for requests-per-send
 * figures; a request on an item of the local queue (`QUEUE#<name>`, what SQS is deployed) is counted as
 * `<op> queue:<name>`.
 */
async function countingProxy(target: string) {
  const counts = new Map<string, number>();
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const op = String(req.headers['x-amz-target'] ?? '?')
      .split('.')
      .pop()!;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const queue = /"QUEUE#([A-Za-z-]+)/.exec(body.toString('utf8'))?.[1];
      const key = queue ? `${op} queue:${queue}` : op;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const out = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function benchGateway() {
  const dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-bench-'));
  const dynamo = await startEmbeddedDynamo({});
  const proxy = await countingProxy(dynamo.endpoint);
  const product = await startLocal({ port: 0, dataDir, env: { WINDOW_RULES: 'seed', DYNAMODB_ENDPOINT: proxy.endpoint } });
  try {
    for (let u = 0; u < CONCURRENCY; u++) await product.sandbox!.simulateUser(`oGate${u}`, { type: 'text', content: 'hi' });
    const send = (touser: (i: number) => string, status: number) => async (i: number) => {
      const res = await fetch(`${product.url}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ touser: touser(i), msgtype: 'text', text: { content: `m${i}` } }),
      });
      if (res.status !== status) throw new Error(`send ${i}: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    await measure(
      'gateway: POST /messages (validate + window gate on DynamoDB + WeChat)',
      SENDS,
      CONCURRENCY,
      send((i) => `oGate${i % CONCURRENCY}`, 200),
      'local server, embedded dynalite',
    );
    const sent = rows.at(-1)!;
    sent.figure = rate(sent);

    // Refused sends: users who never wrote in (no window). The gate's conditional write fails; on DynamoDB
    // it returns the item it saw (ReturnValuesOnConditionCheckFailure), dynalite does not and the gate reads it.
    const refusals = 100;
    proxy.counts.clear();
    await measure(
      'gateway: a refused send (409: no open window)',
      refusals,
      CONCURRENCY,
      send((i) => `oNever${i}`, 409),
    );
    const refused = rows.at(-1)!;
    const per = (op: string) => (proxy.counts.get(op) ?? 0) / refusals;
    refused.figure = `${rate(refused)}; before the answer ${per('UpdateItem').toFixed(1)} DynamoDB request per refused send (the gate's write)`;
    refused.note =
      `counted on dynalite: ${[...proxy.counts].map(([op, c]) => `${op} ${(c / refusals).toFixed(1)}`).join(', ')} per send. GetItem: dynalite's fallback ` +
      '(DynamoDB returns the item with the failed write, dynalite does not); BatchWriteItem: the delivery record of the refusal; Query: the local webhook queue polling meanwhile';
  } finally {
    await product.stop();
    await proxy.stop();
    await dynamo.stop();
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
      const providers = Array.from(
        { length: 5 },
        () =>
          new DynamoDbTokenProvider({
            client,
            tableName: table,
            fetch: { transport: new FetchTransport(), baseUrl: sandbox.url, appId: sandbox.appId, appSecret: sandbox.appSecret },
          }),
      );
      const before = sandbox.count('/cgi-bin/stable_token');
      const start = performance.now();
      await Promise.all(Array.from({ length: 50 }, (_, i) => providers[i % 5]!.getToken()));
      total += performance.now() - start;
      fetches += sandbox.count('/cgi-bin/stable_token') - before;
    }
    rows.push({
      scenario: 'token: 50 cold callers over 5 containers, until all hold the token',
      ops: runs,
      seconds: total / 1000,
      perSecond: runs / (total / 1000),
      p50ms: total / runs,
      note: `WeChat token fetches: ${fetches} in ${runs} runs`,
    });
  } finally {
    await dynamo.stop();
    await sandbox.stop();
  }
}

/**
 * What the delivery record adds to a send: the same sends through the runner (perform), with the real record (a
 * BatchWriteItem on dynalite, awaited before the send answers) and with a record store that writes
 * nothing. Both publish to memory. The difference of the medians is the added latency per send.
 */
async function benchDeliveries() {
  const sandbox = await startSandbox({ quiet: true, rules: 'seed' });
  const dynamo = await startEmbeddedDynamo({});
  try {
    const client = createDynamoClient({ endpoint: dynamo.endpoint });
    const config = configFromEnv({
      TABLE_NAME: 'bench-deliveries',
      WECHAT_API_BASE_URL: sandbox.url,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      WINDOW_RULES: 'seed',
    });
    await ensureTable(client, config.tableName);
    const ctx = await createContext({
      config,
      dynamo: client,
      publisher: new MemoryPublisher(),
      secrets: async () => ({ appId: sandbox.appId, appSecret: sandbox.appSecret }),
    });
    for (let u = 0; u < CONCURRENCY; u++) {
      await sandbox.simulateUser(`oRec${u}`, { type: 'text', content: 'hi' });
      await ctx.windows.recordInbound(`oRec${u}`, 'message', Date.now());
    }
    const op = getOperation('sendText');
    const send = (c: AppContext) => (i: number) =>
      perform(c, op, op.parse({ touser: `oRec${i % CONCURRENCY}`, text: { content: `m${i}` } }, c.client.options));
    const unrecorded: AppContext = { ...ctx, deliveries: Object.assign(Object.create(ctx.deliveries), { record: async () => undefined }) };
    await send(ctx)(0); // warm the token
    // Alternate rounds, so a busy machine slows both alike; the last two rows are kept.
    for (let round = 0; round < 3; round++) {
      if (round > 0) rows.splice(-2);
      await measure('deliveries: a send without its record write (baseline)', SENDS, CONCURRENCY, send(unrecorded));
      await measure('deliveries: a send with its record (BatchWriteItem, awaited before answering)', SENDS, CONCURRENCY, send(ctx));
    }
    const [without, withRecord] = rows.slice(-2);
    withRecord!.figure = rate(withRecord!);
    withRecord!.peer = `without its record ${rate(without!)}`;
    withRecord!.note = `added per send: p50 ${(withRecord!.p50ms! - without!.p50ms!).toFixed(1)} ms, p95 ${(withRecord!.p95ms! - without!.p95ms!).toFixed(1)} ms; before WeChat still one write (the gate)`;
    const long = mixedAnswer(10_000);
    await measure('deliveries: split a 10 000-byte mixed answer (core, no I/O)', 200, 1, async () => splitText(long));
  } finally {
    await dynamo.stop();
    await sandbox.stop();
  }
}

/**
 * The runtime's AWS SDK clients the first call of an entry's main path loads after the bundle itself (a
 * send for the operations, a push for the callback), from the needs of its functions: the secret
 * (Secrets Manager, through Powertools' parameters), the table (DynamoDB), events (EventBridge), queues
 * (SQS), the webhook key (KMS). An entry whose bundle carries its SDK loads them from the bundle instead,
 * counted in its load (the lazy ones, SQS and KMS, in its first invocation below).
 */
function firstCallClients(entry: string): string[] {
  if (sdkBundlingFor(entry).sdk === 'bundled') return [];
  // The operations' main path is a send (sendText); another entry serves one function.
  const specs = LAMBDA_FUNCTIONS.filter((fn) => fn.entry === entry && (entry !== 'operation' || fn.operation === 'sendText'));
  const needs = (pick: (fn: (typeof specs)[number]) => boolean) => specs.some(pick);
  return [
    ...(needs((fn) => fn.needs.secret) ? ['@aws-sdk/client-secrets-manager'] : []),
    ...(needs((fn) => fn.needs.table !== 'none') ? ['@aws-sdk/client-dynamodb'] : []),
    ...(needs((fn) => fn.needs.publishesEvents) ? ['@aws-sdk/client-eventbridge'] : []),
    ...(needs((fn) => (fn.needs.queues?.length ?? 0) > 0) ? ['@aws-sdk/client-sqs'] : []),
    ...(needs((fn) => fn.needs.webhookKey !== undefined) ? ['@aws-sdk/client-kms'] : []),
  ];
}

/**
 * Every function's bundle, built as CDK builds it (infra/lib/bundling.ts): its size, and its load time in
 * a fresh `node` process (require the bundle, take its handler) beside a hello-world function's, measured
 * in turns in the same run. Where the function uses the runtime's AWS SDK, it comes from NODE_PATH, as the
 * Lambda runtime provides it; the others carry their clients (infra/lib/bundling.ts).
 */
async function benchBundles() {
  const dir = mkdtempSync(join(tmpdir(), 'wechat-kf-bundles-'));
  try {
    const bundles = await buildBundles(
      enabledFunctions(LAMBDA_FUNCTIONS, () => true),
      dir,
    );
    mkdirSync(join(dir, 'hello'));
    writeFileSync(join(dir, 'hello', 'index.js'), 'exports.handler = async () => ({ statusCode: 200, body: "hello" });\n');
    const env = {
      PATH: process.env.PATH,
      NODE_PATH: join(__dirname, '..', 'node_modules'),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDBENCH',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TABLE_NAME: 'bench',
      SECRET_ID: 'bench',
      EVENT_BUS_NAME: 'bench',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      [OPERATION_ENV]: 'sendText',
    };
    // The probe times the require of the bundle and, within it, the requires of the runtime's AWS SDK
    // (the bundle's own `require("@aws-sdk/...")` calls), which a hello-world never makes; then the runtime's
    // SDK clients the function's first call of its main path loads lazily (firstCallClients), which a
    // bundle-only load time hides.
    const probe = (file: string, clients: readonly string[]) =>
      [
        "const M=require('module');const req=M.prototype.require;let sdk=0n;",
        `M.prototype.require=function(id){if(this.filename===${JSON.stringify(file)}&&id.startsWith('@aws-sdk/')){const s=process.hrtime.bigint();try{return req.call(this,id)}finally{sdk+=process.hrtime.bigint()-s}}return req.call(this,id)};`,
        `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});const total=process.hrtime.bigint()-t;`,
        "if(typeof m.handler!=='function')throw new Error('no handler');",
        `const c=process.hrtime.bigint();for(const id of ${JSON.stringify(clients)})require(id);const first=process.hrtime.bigint()-c;`,
        'process.stdout.write(JSON.stringify({total:Number(total)/1e6,sdk:Number(sdk)/1e6,first:Number(first)/1e6}))',
      ].join('');
    type Load = { total: number; sdk: number; first: number };
    const load = (file: string, clients: readonly string[]) =>
      JSON.parse(execFileSync(process.execPath, ['-e', probe(file, clients)], { env, encoding: 'utf8' })) as Load;
    const entries = [...bundles.values()];
    const clientsOf = (entry: string) => (entry === 'hello' ? [] : firstCallClients(entry));
    const times = new Map<string, Load[]>([['hello', []], ...entries.map((b) => [b.entry, []] as [string, Load[]])]);
    const runs = Number(process.env.BENCH_LOADS ?? 15);
    for (let run = 0; run < runs; run++) {
      for (const name of times.keys()) times.get(name)!.push(load(join(dir, name, 'index.js'), clientsOf(name)));
    }
    const hello = median(times.get('hello')!.map((x) => x.total));
    for (const b of entries) {
      const loadMs = median(times.get(b.entry)!.map((x) => x.total));
      const sdkMs = median(times.get(b.entry)!.map((x) => x.sdk));
      const firstMs = median(times.get(b.entry)!.map((x) => x.first));
      const coldMs = median(times.get(b.entry)!.map((x) => x.total + x.first));
      const within = coldMs - hello <= 60;
      const bundledSdk = sdkBundlingFor(b.entry).sdk === 'bundled';
      const clients = clientsOf(b.entry);
      rows.push({
        scenario: `bundles: ${b.entry} (${b.functions.length === 1 ? b.functions[0] : `${b.functions.length} functions`})`,
        ops: runs,
        seconds: 0,
        perSecond: 0,
        figure:
          `${(b.bytes / 1024).toFixed(0)} KB, loads in ${loadMs.toFixed(0)} ms ${bundledSdk ? '(its AWS SDK clients bundled)' : `(${sdkMs.toFixed(0)} ms of it the runtime's AWS SDK)`}` +
          `; + ${firstMs.toFixed(0)} ms for the clients its first call loads (${clients.length > 0 ? clients.map((c) => c.replace('@aws-sdk/client-', '')).join(', ') : 'none left to load'}): cold ${coldMs.toFixed(0)} ms`,
        peer: `hello-world ${hello.toFixed(0)} ms`,
        note: `${b.bytes < LAMBDA_BUNDLE_MAX_BYTES ? 'under' : 'OVER'} 400 KB; load + first-call SDK ${within ? 'within' : 'MORE than'} 60 ms of hello-world (+${(coldMs - hello).toFixed(0)} ms${bundledSdk ? '' : `; without the runtime's SDK +${(loadMs - sdkMs - hello).toFixed(0)} ms`}; median of ${runs} fresh processes)`,
      });
    }
    await benchFirstInvocations(dir, env, runs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Load plus the first invocation, in fresh processes, of the functions that can run here whole: the token
 * refresher, the interactions function and a catalogue operation (listKfAccounts), each reading its secret
 * from a Secrets Manager stand-in, the token and windows from dynalite, WeChat from the sandbox; beside a
 * hello-world function's load plus first invocation. What a lazy load saves at load time shows up here
 * again if the first invocation pays it.
 */
async function benchFirstInvocations(dir: string, loadEnv: Record<string, string | undefined>, runs: number) {
  const sandbox = await startSandbox({ quiet: true });
  const dynamo = await startEmbeddedDynamo({});
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  const secret = JSON.stringify({ appId: sandbox.appId, appSecret: sandbox.appSecret });
  const secretsManager = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.end(
        JSON.stringify({
          ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${body.SecretId}`,
          Name: body.SecretId,
          SecretString: secret,
          VersionId: 'v1',
        }),
      );
    });
  });
  await new Promise<void>((r) => secretsManager.listen(0, '127.0.0.1', r));
  try {
    await ensureTable(client, 'bench-first');
    const env = {
      ...loadEnv,
      TABLE_NAME: 'bench-first',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(secretsManager.address() as AddressInfo).port}`,
      WECHAT_API_BASE_URL: sandbox.url,
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    const http = (method: string, path: string, body?: unknown) => ({
      version: '2.0',
      routeKey: `${method} ${path}`,
      rawPath: path,
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      requestContext: { http: { method, path } },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      isBase64Encoded: false,
    });
    const cases: Array<{ name: string; entry: string; event: unknown; env?: Record<string, string> }> = [
      { name: 'hello', entry: 'hello', event: {} },
      { name: 'token-refresher', entry: 'token-refresher', event: { source: 'aws.scheduler' } },
      { name: 'interactions', entry: 'interactions', event: http('POST', '/interactions', { openid: 'oBench' }) },
      {
        name: 'operation (listKfAccounts)',
        entry: 'operation',
        event: http('GET', '/kf-accounts'),
        env: { [OPERATION_ENV]: 'listKfAccounts' },
      },
    ];
    const probe = (file: string, event: unknown) =>
      `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});const l=process.hrtime.bigint();` +
      `m.handler(${JSON.stringify(event)},{functionName:'bench',awsRequestId:'r',getRemainingTimeInMillis:()=>10000}).then((r)=>{const e=process.hrtime.bigint();` +
      `process.stdout.write(JSON.stringify({load:Number(l-t)/1e6,total:Number(e-t)/1e6,ok:r&&(r.statusCode===undefined||r.statusCode===200)}));process.exit(0)},(e)=>{process.stdout.write(JSON.stringify({error:String(e)}));process.exit(1)})`;
    const once = (c: (typeof cases)[number]) =>
      new Promise<{ load: number; total: number }>((resolve, reject) =>
        execFile(
          process.execPath,
          ['-e', probe(join(dir, c.entry, 'index.js'), c.event)],
          { env: { ...env, ...c.env }, timeout: 30_000 },
          (error, stdout) => {
            const out = (() => {
              try {
                return JSON.parse(stdout) as { load: number; total: number; ok?: boolean; error?: string };
              } catch {
                return { error: stdout };
              }
            })() as { load: number; total: number; ok?: boolean; error?: string };
            if (error || out.error || !out.ok) reject(new Error(`${c.name}: ${out.error ?? error?.message ?? 'not a 200 answer'}`));
            else resolve(out);
          },
        ),
      );
    const times = new Map(cases.map((c) => [c.name, [] as Array<{ load: number; total: number }>]));
    for (let run = 0; run < runs; run++) for (const c of cases) times.get(c.name)!.push(await once(c));
    const hello = median(times.get('hello')!.map((x) => x.total));
    for (const c of cases.slice(1)) {
      const total = median(times.get(c.name)!.map((x) => x.total));
      const load = median(times.get(c.name)!.map((x) => x.load));
      rows.push({
        scenario: `bundles: ${c.name}, load + first invocation`,
        ops: runs,
        seconds: 0,
        perSecond: 0,
        figure: `${total.toFixed(0)} ms (load ${load.toFixed(0)}, first invocation ${(total - load).toFixed(0)}; AWS SDK ${sdkBundlingFor(c.entry).sdk === 'bundled' ? 'bundled' : "the runtime's"})`,
        peer: `hello-world ${hello.toFixed(0)} ms`,
        note: `+${(total - hello).toFixed(0)} ms: the secret (Secrets Manager stand-in), the token and windows (dynalite), WeChat (sandbox) on loopback; median of ${runs} fresh processes`,
      });
    }
  } finally {
    secretsManager.close();
    client.destroy();
    await dynamo.stop();
    await sandbox.stop();
  }
}

/**
 * Turns (docs/turns.md): what gathering each user's burst into one turn.ready costs. The same bursts (users
 * × 3 messages, pushed by the sandbox) through a product with turns off and one with TURN_QUIET_MS, the
 * DynamoDB requests counted by the proxy: the callback's writes per inbound message (beyond today's), the
 * closer's per turn, and the timers queued per turn (the local queue here; SQS deployed).
 */
async function benchTurns() {
  const users = Number(process.env.BENCH_TURN_USERS ?? 20);
  const burst = ['hi', 'I ordered a lamp', 'it arrived broken'];
  const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
  const run = async (env: Record<string, string>, label: string) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-bench-turns-'));
    const dynamo = await startEmbeddedDynamo({});
    const proxy = await countingProxy(dynamo.endpoint);
    const product = await startLocal({ port: 0, dataDir, env: { ...env, DYNAMODB_ENDPOINT: proxy.endpoint } });
    try {
      proxy.counts.clear();
      const latencies: number[] = [];
      const started = performance.now();
      // Every user's burst at once (each user's messages in order): all pushed well within the quiet
      // window, so the callback's writes and the closer's are counted apart.
      await Promise.all(
        Array.from({ length: users }, async (_, u) => {
          for (const content of burst) {
            const t0 = performance.now();
            const pushed = await product.sandbox!.simulateUser(`oTurnBench${u}`, { type: 'text', content });
            if (!pushed.delivered) throw new Error(`push refused: ${JSON.stringify(pushed.tries)}`);
            latencies.push(performance.now() - t0);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const pushing = new Map(proxy.counts);
      proxy.counts.clear();
      const turns = () => product.events.events.filter((e) => e.detailType === 'turn.ready').length;
      const deadline = Date.now() + 30_000;
      while (env.TURN_QUIET_MS && turns() < users && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      const closing = new Map(proxy.counts);
      const sum = (m: Map<string, number>, match: (key: string) => boolean) =>
        [...m].filter(([k]) => match(k)).reduce((a, [, c]) => a + c, 0);
      const isWrite = (k: string) => WRITES.includes(k);
      const queued = (m: Map<string, number>) => sum(m, (k) => k === 'PutItem queue:turn-timer');
      latencies.sort((a, b) => a - b);
      return {
        label,
        messages: users * burst.length,
        turns: turns(),
        seconds,
        p50: percentile(latencies, 50),
        callbackWrites: sum(pushing, isWrite),
        timersWhilePushing: queued(pushing),
        closerWrites: sum(closing, isWrite),
        timersWhileClosing: queued(closing),
      };
    } finally {
      await product.stop();
      await proxy.stop();
      await dynamo.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  const off = await run({ WINDOW_RULES: 'seed' }, 'turns off');
  const on = await run({ WINDOW_RULES: 'seed', TURN_QUIET_MS: '5000' }, 'TURN_QUIET_MS=5000');
  const perMessage = (r: typeof off) => r.callbackWrites / r.messages;
  rows.push({
    scenario: `turns: ${users} users × a burst of ${burst.length} messages, TURN_QUIET_MS=5000`,
    ops: on.messages,
    seconds: on.seconds,
    perSecond: on.messages / on.seconds,
    p50ms: on.p50,
    figure:
      `${on.turns} turn.ready for ${on.messages} messages; callback p50 ${on.p50.toFixed(1)} ms; ` +
      `**+${(perMessage(on) - perMessage(off)).toFixed(2)} DynamoDB write per inbound message**; ` +
      `**${((on.timersWhilePushing + on.timersWhileClosing) / Math.max(1, on.turns)).toFixed(2)} queued timers per turn** ` +
      `(${(on.timersWhilePushing / Math.max(1, on.turns)).toFixed(2)} armed by the callback, ${(on.timersWhileClosing / Math.max(1, on.turns)).toFixed(2)} re-armed by the closer); ` +
      `closer ${(on.closerWrites / Math.max(1, on.turns)).toFixed(2)} table writes per turn; pushed in ${on.seconds.toFixed(1)} s`,
    peer: `turns off: callback p50 ${off.p50.toFixed(1)} ms, ${perMessage(off).toFixed(2)} writes per message`,
    note: 'timers are the local queue in the table here (each PutItem on QUEUE#turn-timer), one SQS SendMessage each deployed; the closer writes cut, seal, claim, published',
  });
}

/**
 * Per-subscription isolation (docs/webhooks.md): one receiver answering after 15 s and five answering 500
 * beside a healthy one; how long each of 100 events takes to reach the healthy one, deployed-shaped (the
 * delivery handler under an SQS simulator, 20 at once) and under npm start, beside the healthy one alone.
 */
async function benchIsolation() {
  const events = Number(process.env.BENCH_ISOLATION_EVENTS ?? 100);
  const intervalMs = Number(process.env.BENCH_ISOLATION_INTERVAL_MS ?? 200);
  const show = (r: IsolationResult) => `${r.delivered}/${events} delivered, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms`;
  for (const [where, run] of [
    ['deployed-shaped', deployedIsolation],
    ['npm start', localIsolation],
  ] as const) {
    const alone = await run({ events, intervalMs, slow: 0, failing: 0 });
    const beside = await run({ events, intervalMs });
    rows.push({
      scenario: `isolation, ${where}: a healthy receiver beside one 15 s and five 500 receivers`,
      ops: events,
      seconds: 0,
      perSecond: 0,
      figure: `${show(beside)}; the slow one ${beside.slow.status}, oldest pending ${beside.slow.oldestPendingAgeSeconds} s`,
      peer: `alone: ${show(alone)}`,
      note: `events ${intervalMs} ms apart`,
    });
  }
}

/** The resident memory of a process, from /proc (Linux), in MB. */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/**
 * npm start's memory under a long run (issue 28, item 12): `npm start` in a process of its own with
 * DATA_DIR on disk, BENCH_MEMORY_SENDS (60 000) POST /messages under faults (every 20th send meets an
 * errcode, an HTTP 500, a reset or a 2 s delay from the sandbox) with a failing webhook subscription
 * listening, the resident memory sampled at each fifth of the run.
 */
async function benchMemory() {
  const total = Number(process.env.BENCH_MEMORY_SENDS ?? 60_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-memory-'));
  const port = 4700 + Math.floor(Math.random() * 200);
  const sandboxPort = port + 1000;
  const hook = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(Math.random() < 0.5 ? 500 : 200).end());
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const child = spawn(process.execPath, ['--import', 'tsx', 'functions/local/main.ts'], {
    env: { ...process.env, PORT: String(port), SANDBOX_PORT: String(sandboxPort), DATA_DIR: dataDir, WINDOW_RULES: 'seed' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const sandbox = `http://127.0.0.1:${sandboxPort}`;
  const post = (url: string, body: unknown) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  try {
    for (let i = 0; ; i++) {
      if (i > 600) throw new Error('npm start did not come up within 60 s');
      try {
        if ((await fetch(`${base}/subscriptions`)).ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await post(`${base}/subscriptions`, { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, events: ['delivery.*'] });
    const users = CONCURRENCY;
    for (let u = 0; u < users; u++) await post(`${sandbox}/sandbox/users/oMem${u}/messages`, { content: 'hi' });
    const faults = [{ kind: 'errcode', errcode: 45015 }, { kind: 'http', status: 500 }, { kind: 'reset' }, { kind: 'delay', ms: 2_000 }];
    const samples: Array<{ sends: number; mb: number }> = [{ sends: 0, mb: rssMb(child.pid!) }];
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: users }, async () => {
        while (next < total) {
          const i = next++;
          if (i % 20 === 0)
            await post(`${sandbox}/sandbox/faults`, {
              path: '/cgi-bin/message/custom/send',
              times: 1,
              ...faults[(i / 20) % faults.length]!,
            });
          const res = await post(`${base}/messages`, { touser: `oMem${i % users}`, msgtype: 'text', text: { content: `m${i}` } });
          await res.arrayBuffer();
          if ((i + 1) % (total / 5) === 0) samples.push({ sends: i + 1, mb: rssMb(child.pid!) });
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const second = samples.filter((x) => x.sends >= total / 2).map((x) => x.mb);
    rows.push({
      scenario: `memory: npm start over ${total} sends under faults (DATA_DIR on disk)`,
      ops: total,
      seconds,
      perSecond: total / seconds,
      figure: samples.map((x) => `${x.sends}: ${x.mb.toFixed(0)} MB`).join(' → '),
      note: `second half: ${Math.min(...second).toFixed(0)}–${Math.max(...second).toFixed(0)} MB; ${(total / seconds).toFixed(0)} sends/s`,
    });
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    hook.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const SCENARIOS: Record<string, () => Promise<void>> = {
  validate: benchValidate,
  client: benchClient,
  gateway: benchGateway,
  token: benchToken,
  deliveries: benchDeliveries,
  bundles: benchBundles,
  turns: benchTurns,
  isolation: benchIsolation,
};
/** Scenarios run only when named: too long for the default run. */
const ON_DEMAND: Record<string, () => Promise<void>> = { memory: benchMemory };

async function main() {
  const wanted = process.argv.slice(2).filter((a) => a !== '--');
  const all = { ...SCENARIOS, ...ON_DEMAND };
  for (const name of wanted) if (!all[name]) throw new Error(`unknown scenario ${name}; choose from ${Object.keys(all).join(', ')}`);
  for (const [name, run] of Object.entries(SCENARIOS)) if (wanted.length === 0 || wanted.includes(name)) await run();
  for (const [name, run] of Object.entries(ON_DEMAND)) if (wanted.includes(name)) await run();
  const [one, five, fifteen] = loadavg();
  console.log(
    `node ${process.version}, ${SENDS} sends, concurrency ${CONCURRENCY}; ${cpus().length} cores, load average ${one!.toFixed(1)} / ${five!.toFixed(1)} / ${fifteen!.toFixed(1)} (1/5/15 min) at the end\n`,
  );
  console.log('| scenario | this product | peer, same run | note |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) {
    const figure =
      r.figure ??
      `${r.perSecond.toFixed(0)}/s over ${r.ops} in ${r.seconds.toFixed(2)} s${r.p50ms !== undefined ? `, p50 ${r.p50ms.toFixed(1)} ms${r.p95ms !== undefined ? `, p95 ${r.p95ms.toFixed(1)} ms` : ''}` : ''}`;
    console.log(`| ${r.scenario} | ${figure} | ${r.peer ?? ''} | ${r.note ?? ''} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
