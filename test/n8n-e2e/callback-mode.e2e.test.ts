/**
 * The trigger's Message Encryption Mode in a real n8n (2.8.4), Direct mode: a credential with an
 * EncodingAESKey and no mode chosen (a credential saved before the field existed) is in safe mode, as the
 * product's /callback is with WECHAT_ENCODING_AES_KEY set. A plain push whose signature verifies (made by
 * whoever knows the Token or saw one push URL) is refused with 401 and starts no execution; the sandbox's
 * real, encrypted push starts exactly one.
 *
 * Needs: `bash test/n8n-e2e/install.sh` (or N8N_E2E_DIR) and `npm run build --workspace n8n-nodes`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { computeSignature } from '../../functions/core/callback';
import { startSandbox, type Sandbox } from '../../functions/sandbox';
import { describeWithN8n, freePort, installPackage, N8N_BIN, n8nEnv, nodeType, ownerSession, run, startN8n, waitFor, waitForPushWebhook } from './support';

const CALLBACK_TOKEN = 'e2eModeToken12';
const AES_KEY = 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut';
const WEBHOOK_ID = 'wechat-e2e-callback-mode';
const WORKFLOW_ID = 'wfCbModeE2E00001';

jest.setTimeout(300_000);

function triggerWorkflow() {
  return {
    id: WORKFLOW_ID,
    name: 'E2E callback mode',
    active: false,
    settings: { executionOrder: 'v1' },
    connections: { Trigger: { main: [[{ node: 'Done', type: 'main', index: 0 }]] } },
    nodes: [
      {
        id: 'm1',
        name: 'Trigger',
        type: nodeType('weChatKfTrigger'),
        typeVersion: 1,
        position: [0, 0],
        webhookId: WEBHOOK_ID,
        parameters: { messageTypes: [], events: [] },
        credentials: { weChatCallbackApi: { id: 'credCbModeE2E001', name: 'WeChat callback' } },
      },
      { id: 'm2', name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [220, 0], parameters: {} },
    ],
  };
}

describeWithN8n()('n8n 2.8.4: the trigger follows the callback mode (safe with an EncodingAESKey)', () => {
  let sandbox: Sandbox;
  let work = '';
  let port = 0;
  let n8nServer: ReturnType<typeof startN8n> | undefined;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'n8n-e2e-cbmode-'));
    port = await freePort();
    sandbox = await startSandbox({ quiet: true });
    const env = n8nEnv(work, port, await freePort());
    await installPackage(work);
    writeFileSync(
      join(work, 'credentials.json'),
      JSON.stringify([{ id: 'credCbModeE2E001', name: 'WeChat callback', type: 'weChatCallbackApi', data: { token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, appId: sandbox.appId } }]),
    );
    writeFileSync(join(work, 'workflow.json'), JSON.stringify(triggerWorkflow()));
    for (const args of [['import:credentials', `--input=${join(work, 'credentials.json')}`], ['import:workflow', `--input=${join(work, 'workflow.json')}`], ['publish:workflow', `--id=${WORKFLOW_ID}`]]) {
      const result = await run(process.execPath, [N8N_BIN, ...args], { env, cwd: work });
      if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} failed (${result.code}):\n${result.out.slice(-4000)}`);
    }
    n8nServer = startN8n(env, work);
    await waitFor('n8n to answer /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok || undefined, 120_000, n8nServer.log);
    sandbox.configureCallback({ url: `http://127.0.0.1:${port}/webhook/${WEBHOOK_ID}/wechat`, token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, mode: 'safe', format: 'xml' });
    await waitFor('the URL check to pass', async () => (await sandbox.verifyCallback()).ok || undefined, 60_000, n8nServer.log);
    await waitForPushWebhook(`http://127.0.0.1:${port}/webhook/${WEBHOOK_ID}/wechat`, n8nServer.log);
  });

  afterAll(async () => {
    await n8nServer?.stop();
    await sandbox?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses a forged plain push with 401 and runs nothing; the real encrypted push runs once', async () => {
    // prepare: a plain push signed with the Token (its signature covers token, timestamp and nonce, not the body)
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = '424242';
    const query = new URLSearchParams({ signature: computeSignature(CALLBACK_TOKEN, timestamp, nonce), timestamp, nonce, openid: 'o_forged' });
    const forged = `<xml><ToUserName>gh_account</ToUserName><FromUserName>o_forged</FromUserName><CreateTime>${timestamp}</CreateTime><MsgType>text</MsgType><Content>forged</Content><MsgId>1</MsgId></xml>`;
    const rest = await ownerSession(`http://127.0.0.1:${port}`);
    const executions = async () => {
      const answer = await rest('GET', `/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId: WORKFLOW_ID }))}`);
      if (answer.status !== 200) throw new Error(`GET /rest/executions answered ${answer.status}: ${answer.text}`);
      return (JSON.parse(answer.text) as { data: { results: { id: string; status: string }[] } }).data.results;
    };

    // act: the forged push, then WeChat's (the sandbox's) real encrypted push
    const refused = await fetch(`http://127.0.0.1:${port}/webhook/${WEBHOOK_ID}/wechat?${query}`, { method: 'POST', body: forged, headers: { 'content-type': 'text/xml' } });
    const refusal = await refused.text();
    const genuine = await sandbox.simulateUser('o_genuine', { type: 'text', content: 'hello' });

    // assess: 401 naming the rule; only the genuine push became an execution
    expect(refused.status).toBe(401);
    expect(refusal).toMatch(/safe mode: a push must carry encrypt_type=aes and a msg_signature/);
    expect(genuine.delivered).toBe(true);
    const runs = await waitFor('the execution of the genuine push', async () => ((await executions()).length > 0 ? await executions() : undefined), 60_000, n8nServer!.log);
    // A little longer, so an execution started by the forged push (if any) would have been saved too.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await executions()).toHaveLength(1);
    expect(runs[0]!.status).toBe('success');
  });
});
