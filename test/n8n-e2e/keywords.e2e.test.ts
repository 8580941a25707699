/**
 * Keyword handoff and the AI label in a real n8n (2.8.4), Direct mode: the trigger's Handoff Keywords
 * answers the push that says 转人工 with transfer_customer_service to the rule's kf account (read back by
 * the sandbox) and starts the workflow with a handoff.requested item; the bot's sends, with Label as
 * AI-Generated on, reach WeChat with aimsgcontext.is_ai_msg = 1.
 *
 * Needs: `bash test/n8n-e2e/install.sh` (or N8N_E2E_DIR) and `npm run build --workspace n8n-nodes`.
 */
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import {
  callbackCredential,
  connectCallback,
  describeWithN8n,
  importIntoN8n,
  nodeType,
  prepareN8n,
  sandboxCredential,
  waitFor,
  workflowBase,
  type N8nServer,
  type N8nUnderTest,
} from './support';

const OPENID = 'o_e2e_keywords';
const KF = 'agent1@sandbox';
const CALLBACK_TOKEN = 'e2eKeywords123';
const WEBHOOK_ID = 'wechat-e2e-keywords';
const WECHAT = { weChatOfficialAccountApi: { id: 'credKeywordsWx01', name: 'WeChat sandbox' } };
const CALLBACK_CRED = { weChatCallbackApi: { id: 'credKeywordsCb01', name: 'WeChat callback' } };

jest.setTimeout(300_000);

function keywordsWorkflow() {
  return {
    ...workflowBase('wfKeywordsE2E001', 'E2E keyword handoff', { Trigger: { main: [[{ node: 'Bot', type: 'main', index: 0 }]] } }),
    nodes: [
      {
        id: 'k1',
        name: 'Trigger',
        type: nodeType('weChatKfTrigger'),
        typeVersion: 1,
        position: [0, 0],
        webhookId: WEBHOOK_ID,
        parameters: { messageTypes: [], events: [], options: { handoffKeywords: `转人工=${KF}, *人工客服*` } },
        credentials: CALLBACK_CRED,
      },
      {
        id: 'k2',
        name: 'Bot',
        type: nodeType('weChatKf'),
        typeVersion: 1,
        position: [220, 0],
        // Says what the trigger saw: a message, or the handoff (kind, rule, kf account).
        parameters: {
          resource: 'message',
          operation: 'send',
          touser: '={{ $json.openid }}',
          msgtype: 'text',
          content: '={{ $json.kind ? $json.kind + " " + $json.rule + " " + $json.kfAccount : "bot: " + $json.content }}',
          aiGenerated: true,
        },
        credentials: WECHAT,
      },
    ],
  };
}

describeWithN8n()("n8n 2.8.4: keyword handoff in the trigger, and the AI label on the bot's sends", () => {
  let sandbox: Sandbox;
  let n8n: N8nUnderTest;
  let n8nServer: N8nServer | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
    n8n = await prepareN8n('n8n-e2e-keywords-');
    await importIntoN8n(n8n, {
      credentials: [
        sandboxCredential(WECHAT.weChatOfficialAccountApi, sandbox),
        callbackCredential(CALLBACK_CRED.weChatCallbackApi, { token: CALLBACK_TOKEN, encodingAesKey: '', appId: sandbox.appId }),
      ],
      workflows: { 'keywords.json': keywordsWorkflow() },
      publish: ['wfKeywordsE2E001'],
    });
    n8nServer = await n8n.start();
    await connectCallback(sandbox, n8n.triggerUrl(WEBHOOK_ID), { token: CALLBACK_TOKEN, mode: 'plain', format: 'xml' }, n8nServer.log);
  });

  afterAll(async () => {
    await n8n?.stop();
    await sandbox?.stop();
  });

  const sent = () => sandbox.messages(OPENID).map((m) => [(m.body.text as { content: string }).content, m.body.aimsgcontext ?? null]);

  it("transfers the push that says 转人工 to the rule's agent, starts the flow with handoff.requested, and labels the bot's sends", async () => {
    // a message for the bot
    await sandbox.simulateUser(OPENID, { type: 'text', content: 'hello' });
    await waitFor('the bot reply', () => (sent().length === 1 ? true : undefined), 60_000, n8nServer!.log);

    // the user asks for a human: that very push is transferred
    const asked = await sandbox.simulateUser(OPENID, { type: 'text', content: '转人工' });
    expect(asked.reply).toMatchObject({ MsgType: 'transfer_customer_service', fields: { TransInfo: { KfAccount: KF } } });
    expect(asked.reply?.problem).toBeUndefined();
    await waitFor('the handoff item', () => (sent().length === 2 ? true : undefined), 60_000, n8nServer!.log);

    expect(sent()).toEqual([
      ['bot: hello', { is_ai_msg: 1 }],
      [`handoff.requested 转人工 ${KF}`, { is_ai_msg: 1 }],
    ]);
  });
});
