/**
 * The trigger's Message Encryption Mode in a real n8n (2.8.4), Direct mode: a credential with an
 * EncodingAESKey and no mode chosen (a credential saved before the field existed) is in safe mode, as the
 * product's /callback is with WECHAT_ENCODING_AES_KEY set. A plain push whose signature verifies (made by
 * whoever knows the Token or saw one push URL) is refused with 401 and starts no execution; the sandbox's
 * real, encrypted push starts exactly one.
 *
 * Needs: `bash test/n8n-e2e/install.sh` (or N8N_E2E_DIR) and `npm run build --workspace n8n-nodes`.
 */
import { computeSignature } from '../../functions/core/callback';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import {
  callbackCredential,
  N8N_VERSION,
  connectCallback,
  describeWithN8n,
  importIntoN8n,
  nodeType,
  executionsOf,
  ownerSession,
  prepareN8n,
  waitForFinishedExecutions,
  workflowBase,
  type N8nServer,
  type N8nUnderTest,
} from './support';

const CALLBACK_TOKEN = 'e2eModeToken12';
const AES_KEY = 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut';
const WEBHOOK_ID = 'wechat-e2e-callback-mode';
const WORKFLOW_ID = 'wfCbModeE2E00001';
const CALLBACK_CRED = { weChatCallbackApi: { id: 'credCbModeE2E001', name: 'WeChat callback' } };

jest.setTimeout(300_000);

function triggerWorkflow() {
  return {
    ...workflowBase(WORKFLOW_ID, 'E2E callback mode', ['Trigger', 'Done']),
    nodes: [
      {
        id: 'm1',
        name: 'Trigger',
        type: nodeType('weChatKfTrigger'),
        typeVersion: 1,
        position: [0, 0],
        webhookId: WEBHOOK_ID,
        parameters: { messageTypes: [], events: [] },
        credentials: CALLBACK_CRED,
      },
      { id: 'm2', name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [220, 0], parameters: {} },
    ],
  };
}

describeWithN8n()(`n8n ${N8N_VERSION}: the trigger follows the callback mode (safe with an EncodingAESKey)`, () => {
  let sandbox: Sandbox;
  let n8n: N8nUnderTest;
  let port = 0;
  let n8nServer: N8nServer | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
    n8n = await prepareN8n('n8n-e2e-cbmode-');
    port = n8n.port;
    await importIntoN8n(n8n, {
      credentials: [
        callbackCredential(CALLBACK_CRED.weChatCallbackApi, { token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, appId: sandbox.appId }),
      ],
      workflows: { 'workflow.json': triggerWorkflow() },
      publish: [WORKFLOW_ID],
    });
    n8nServer = await n8n.start();
    await connectCallback(
      sandbox,
      n8n.triggerUrl(WEBHOOK_ID),
      { token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, mode: 'safe', format: 'xml' },
      n8nServer.log,
    );
  });

  afterAll(async () => {
    await n8n?.stop();
    await sandbox?.stop();
  });

  it('refuses a forged plain push with 401 and runs nothing; the real encrypted push runs once', async () => {
    // prepare: a plain push signed with the Token (its signature covers token, timestamp and nonce, not the body)
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = '424242';
    const query = new URLSearchParams({
      signature: computeSignature(CALLBACK_TOKEN, timestamp, nonce),
      timestamp,
      nonce,
      openid: 'o_forged',
    });
    const forged = `<xml><ToUserName>gh_account</ToUserName><FromUserName>o_forged</FromUserName><CreateTime>${timestamp}</CreateTime><MsgType>text</MsgType><Content>forged</Content><MsgId>1</MsgId></xml>`;
    const rest = await ownerSession(`http://127.0.0.1:${port}`);
    // act: the forged push, then WeChat's (the sandbox's) real encrypted push
    const refused = await fetch(`http://127.0.0.1:${port}/webhook/${WEBHOOK_ID}/wechat?${query}`, {
      method: 'POST',
      body: forged,
      headers: { 'content-type': 'text/xml' },
    });
    const refusal = await refused.text();
    const genuine = await sandbox.simulateUser('o_genuine', { type: 'text', content: 'hello' });

    // assess: 401 naming the rule; only the genuine push became an execution
    expect(refused.status).toBe(401);
    expect(refusal).toMatch(/safe mode: a push must carry encrypt_type=aes and a msg_signature/);
    expect(genuine.delivered).toBe(true);
    const runs = await waitForFinishedExecutions(rest, WORKFLOW_ID, 1, n8nServer!.log);
    // A little longer, so an execution started by the forged push (if any) would have been saved too.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await executionsOf(rest, WORKFLOW_ID)).toHaveLength(1);
    expect(runs[0]!.status).toBe('success');
  });
});
