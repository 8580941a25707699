/**
 * End to end in a real n8n (2.8.4, installed by test/n8n-e2e/install.sh into <repo>/.n8n-e2e): the built
 * package is installed as a community package, credentials and workflows are imported with n8n's CLI,
 * `n8n execute --id` sends a message to the sandbox, and `n8n start` with a published trigger workflow
 * receives a signed, encrypted push from the sandbox and replies through the action node.
 *
 * Needs: `bash test/n8n-e2e/install.sh` and `npm run build --workspace n8n-nodes`. Without the n8n install
 * it fails when CI=true and is skipped (with the reason printed) otherwise.
 */
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import {
  callbackCredential,
  connectCallback,
  describeWithN8n,
  N8N_VERSION,
  importIntoN8n,
  nodeType,
  prepareN8n,
  publishWorkflow,
  sandboxCredential,
  waitFor,
  workflowBase,
  type N8nUnderTest,
} from './support';

const OPENID_EXECUTE = 'o_e2e_execute';
const OPENID_TRIGGER = 'o_e2e_trigger';
const CALLBACK_TOKEN = 'e2eToken123';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const WEBHOOK_ID = 'wechat-e2e';
const API_CRED = { weChatOfficialAccountApi: { id: 'credWeChatE2E001', name: 'WeChat sandbox' } };
const CALLBACK_CRED = { weChatCallbackApi: { id: 'credCallbackE2E1', name: 'WeChat callback' } };

jest.setTimeout(300_000);

function sendWorkflow() {
  return {
    ...workflowBase('wfSendE2E0000001', 'E2E send', ['Start', 'WeChat']),
    nodes: [
      { id: 'a1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      {
        id: 'a2',
        name: 'WeChat',
        type: nodeType('weChatKf'),
        typeVersion: 1,
        position: [220, 0],
        parameters: { resource: 'message', operation: 'send', touser: OPENID_EXECUTE, msgtype: 'text', content: 'hello from n8n execute' },
        credentials: API_CRED,
      },
    ],
  };
}

function triggerWorkflow() {
  return {
    ...workflowBase('wfTrigE2E0000001', 'E2E trigger', ['WeChat Trigger', 'Reply']),
    nodes: [
      {
        id: 'b1',
        name: 'WeChat Trigger',
        type: nodeType('weChatKfTrigger'),
        typeVersion: 1,
        position: [0, 0],
        webhookId: WEBHOOK_ID,
        parameters: { messageTypes: ['text'] },
        credentials: CALLBACK_CRED,
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
        credentials: API_CRED,
      },
    ],
  };
}

const describeE2E = describeWithN8n();

describeE2E(`n8n ${N8N_VERSION} end to end`, () => {
  let sandbox: Sandbox | undefined;
  let n8n: N8nUnderTest;

  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
    n8n = await prepareN8n('n8n-e2e-');
    await importIntoN8n(n8n, {
      credentials: [
        sandboxCredential(API_CRED.weChatOfficialAccountApi, sandbox),
        callbackCredential(CALLBACK_CRED.weChatCallbackApi, { token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, appId: sandbox.appId }),
      ],
      workflows: { 'send.json': sendWorkflow(), 'trigger.json': triggerWorkflow() },
    });
  });

  afterAll(async () => {
    await n8n?.stop();
    await sandbox?.stop();
  });

  it('`n8n execute --id` runs the action node, which sends a message to the sandbox', async () => {
    await sandbox!.simulateUser(OPENID_EXECUTE, { type: 'text', content: 'hi' });
    const result = await n8n.cli('execute', '--id=wfSendE2E0000001');
    const sent = sandbox!.messages(OPENID_EXECUTE);
    if (sent.length === 0)
      throw new Error(`the sandbox received no message; n8n execute said (${result.code}):\n${result.out.slice(-6000)}`);
    expect(sent[0]!.body).toEqual({ touser: OPENID_EXECUTE, msgtype: 'text', text: { content: 'hello from n8n execute' } });
    expect(result.code).toBe(0);
  });

  it('`n8n start` with the published trigger workflow answers a signed, encrypted push and replies', async () => {
    await publishWorkflow(n8n, 'wfTrigE2E0000001');
    const server = await n8n.start();
    const url = n8n.triggerUrl(WEBHOOK_ID);
    // WeChat's URL check (GET, echostr) passes once the workflow's webhook is registered.
    await connectCallback(sandbox!, url, { token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, mode: 'safe', format: 'xml' }, server.log);

    // A bad signature is refused with 401.
    const bad = await fetch(`${url}?signature=0000&timestamp=${Math.floor(Date.now() / 1000)}&nonce=1`, {
      method: 'POST',
      body: '<xml></xml>',
      headers: { 'content-type': 'text/xml' },
    });
    expect(bad.status).toBe(401);

    const push = await sandbox!.simulateUser(OPENID_TRIGGER, { type: 'text', content: 'ping' });
    expect(JSON.stringify(push)).toMatch(/success/);
    const reply = await waitFor('the reply of the workflow', () => sandbox!.messages(OPENID_TRIGGER)[0], 60_000, server.log);
    expect(reply.body).toEqual({ touser: OPENID_TRIGGER, msgtype: 'text', text: { content: 'echo: ping (text)' } });
  });
});
