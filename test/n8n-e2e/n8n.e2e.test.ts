/**
 * End to end in a real n8n (2.8.4, installed by test/n8n-e2e/install.sh into <repo>/.n8n-e2e): the built
 * package is installed as a community package, credentials and workflows are imported with n8n's CLI,
 * `n8n execute --id` sends a message to the sandbox, and `n8n start` with a published trigger workflow
 * receives a signed, encrypted push from the sandbox and replies through the action node.
 *
 * Needs: `bash test/n8n-e2e/install.sh` and `npm run build --workspace n8n-nodes`. Without the n8n install
 * it fails when CI=true and is skipped (with the reason printed) otherwise.
 */
import { spawn, type ChildProcess } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startSandbox, type Sandbox } from '../../functions/sandbox';
import { describeWithN8n, freePort, installPackage, MISSING, N8N_BIN, n8nEnv, nodeType, run, waitFor, waitForPushWebhook } from './support';

const OPENID_EXECUTE = 'o_e2e_execute';
const OPENID_TRIGGER = 'o_e2e_trigger';
const CALLBACK_TOKEN = 'e2eToken123';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const WEBHOOK_ID = 'wechat-e2e';

jest.setTimeout(300_000);

function sendWorkflow() {
  return {
    id: 'wfSendE2E0000001',
    name: 'E2E send',
    active: false,
    settings: { executionOrder: 'v1' },
    connections: { Start: { main: [[{ node: 'WeChat', type: 'main', index: 0 }]] } },
    nodes: [
      { id: 'a1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      {
        id: 'a2',
        name: 'WeChat',
        type: nodeType('weChatKf'),
        typeVersion: 1,
        position: [220, 0],
        parameters: { resource: 'message', operation: 'send', touser: OPENID_EXECUTE, msgtype: 'text', content: 'hello from n8n execute' },
        credentials: { weChatOfficialAccountApi: { id: 'credWeChatE2E001', name: 'WeChat sandbox' } },
      },
    ],
  };
}

function triggerWorkflow() {
  return {
    id: 'wfTrigE2E0000001',
    name: 'E2E trigger',
    active: false,
    settings: { executionOrder: 'v1' },
    connections: { 'WeChat Trigger': { main: [[{ node: 'Reply', type: 'main', index: 0 }]] } },
    nodes: [
      {
        id: 'b1',
        name: 'WeChat Trigger',
        type: nodeType('weChatKfTrigger'),
        typeVersion: 1,
        position: [0, 0],
        webhookId: WEBHOOK_ID,
        parameters: { messageTypes: ['text'] },
        credentials: { weChatCallbackApi: { id: 'credCallbackE2E1', name: 'WeChat callback' } },
      },
      {
        id: 'b2',
        name: 'Reply',
        type: nodeType('weChatKf'),
        typeVersion: 1,
        position: [220, 0],
        parameters: {
          resource: 'message',
          operation: 'send',
          touser: '={{ $json.openid }}',
          msgtype: 'text',
          content: '=echo: {{ $json.content }} ({{ $json.messageType }})',
        },
        credentials: { weChatOfficialAccountApi: { id: 'credWeChatE2E001', name: 'WeChat sandbox' } },
      },
    ],
  };
}

const describeE2E = describeWithN8n();

describeE2E('n8n 2.8.4 end to end', () => {
  let sandbox: Sandbox | undefined;
  let server: ChildProcess | undefined;
  let serverLog = '';
  let work = '';
  let env: NodeJS.ProcessEnv = {};
  let port = 0;

  const n8n = (...args: string[]) => run(process.execPath, [N8N_BIN, ...args], { env, cwd: work });

  beforeAll(async () => {
    if (!existsSync(N8N_BIN)) throw new Error(MISSING);
    work = mkdtempSync(join(tmpdir(), 'n8n-e2e-'));
    port = await freePort();
    sandbox = await startSandbox({ quiet: true });
    env = n8nEnv(work, port, await freePort());

    await installPackage(work);

    writeFileSync(
      join(work, 'credentials.json'),
      JSON.stringify([
        {
          id: 'credWeChatE2E001',
          name: 'WeChat sandbox',
          type: 'weChatOfficialAccountApi',
          data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' },
        },
        { id: 'credCallbackE2E1', name: 'WeChat callback', type: 'weChatCallbackApi', data: { token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, appId: sandbox.appId } },
      ]),
    );
    writeFileSync(join(work, 'send.json'), JSON.stringify(sendWorkflow()));
    writeFileSync(join(work, 'trigger.json'), JSON.stringify(triggerWorkflow()));
    for (const args of [
      ['import:credentials', `--input=${join(work, 'credentials.json')}`],
      ['import:workflow', `--input=${join(work, 'send.json')}`],
      ['import:workflow', `--input=${join(work, 'trigger.json')}`],
    ]) {
      const result = await n8n(...args);
      if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} failed (${result.code}):\n${result.out.slice(-4000)}`);
    }
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          server?.kill('SIGKILL');
          r(undefined);
        }, 15_000);
        server?.on('exit', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    }
    await sandbox?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('`n8n execute --id` runs the action node, which sends a message to the sandbox', async () => {
    await sandbox!.simulateUser(OPENID_EXECUTE, { type: 'text', content: 'hi' });
    const result = await n8n('execute', '--id=wfSendE2E0000001');
    const sent = sandbox!.messages(OPENID_EXECUTE);
    if (sent.length === 0) throw new Error(`the sandbox received no message; n8n execute said (${result.code}):\n${result.out.slice(-6000)}`);
    expect(sent[0]!.body).toEqual({ touser: OPENID_EXECUTE, msgtype: 'text', text: { content: 'hello from n8n execute' } });
    expect(result.code).toBe(0);
  });

  it('`n8n start` with the published trigger workflow answers a signed, encrypted push and replies', async () => {
    const published = await n8n('publish:workflow', '--id=wfTrigE2E0000001');
    if (published.code !== 0) throw new Error(`n8n publish:workflow failed:\n${published.out.slice(-4000)}`);
    server = spawn(process.execPath, [N8N_BIN, 'start'], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => (serverLog += String(d)));
    server.stderr!.on('data', (d) => (serverLog += String(d)));
    const url = `http://127.0.0.1:${port}/webhook/${WEBHOOK_ID}/wechat`;
    sandbox!.configureCallback({ url, token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, mode: 'safe', format: 'xml' });
    await waitFor('n8n to answer /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok || undefined, 120_000, () => serverLog);

    // WeChat's URL check (GET, echostr) passes once the workflow's webhook is registered.
    await waitFor('the URL check to pass', async () => ((await sandbox!.verifyCallback()) as { ok?: boolean }).ok || undefined, 60_000, () => serverLog);
    await waitForPushWebhook(url, () => serverLog);

    // A bad signature is refused with 401.
    const bad = await fetch(`${url}?signature=0000&timestamp=${Math.floor(Date.now() / 1000)}&nonce=1`, { method: 'POST', body: '<xml></xml>', headers: { 'content-type': 'text/xml' } });
    expect(bad.status).toBe(401);

    const push = await sandbox!.simulateUser(OPENID_TRIGGER, { type: 'text', content: 'ping' });
    expect(JSON.stringify(push)).toMatch(/success/);
    const reply = await waitFor('the reply of the workflow', () => sandbox!.messages(OPENID_TRIGGER)[0], 60_000, () => serverLog);
    expect(reply.body).toEqual({ touser: OPENID_TRIGGER, msgtype: 'text', text: { content: 'echo: ping (text)' } });
  });
});
