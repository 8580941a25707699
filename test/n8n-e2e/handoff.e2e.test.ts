/**
 * Handoff in a real n8n (2.8.4), Direct mode: a published workflow whose trigger has "Skip While a Human
 * Has the User" on answers every message with a bot reply, and hands the user to a human when they type
 * "human" (the WeChat Customer Service node's Hand Over, an IF in front). The user's next message is
 * answered by the trigger with transfer_customer_service (read back by the sandbox); the agent takes the
 * user (kf_create_session) and the workflow stays silent while the session is open; when it closes
 * (kf_close_session) the bot answers again.
 *
 * Needs: `bash test/n8n-e2e/install.sh` (or N8N_E2E_DIR) and `npm run build --workspace n8n-nodes`.
 */
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import {
  callbackCredential,
  connectCallback,
  describeWithN8n,
  N8N_VERSION,
  importIntoN8n,
  nodeType,
  ownerSession,
  prepareN8n,
  sandboxCredential,
  waitFor,
  waitForFinishedExecutions,
  workflowBase,
  type N8nServer,
  type N8nUnderTest,
} from './support';

const OPENID = 'o_e2e_handoff';
const KF = 'agent1@sandbox';
const CALLBACK_TOKEN = 'e2eHandoff123';
const WEBHOOK_ID = 'wechat-e2e-handoff';
const WECHAT = { weChatOfficialAccountApi: { id: 'credHandoffWx001', name: 'WeChat sandbox' } };
const CALLBACK_CRED = { weChatCallbackApi: { id: 'credHandoffCb001', name: 'WeChat callback' } };

jest.setTimeout(300_000);

function handoffWorkflow() {
  return {
    ...workflowBase('wfHandoffE2E0001', 'E2E handoff', {
      Trigger: { main: [[{ node: 'Wants a human?', type: 'main', index: 0 }]] },
      'Wants a human?': { main: [[{ node: 'Hand over', type: 'main', index: 0 }], [{ node: 'Bot reply', type: 'main', index: 0 }]] },
    }),
    nodes: [
      {
        id: 'h1',
        name: 'Trigger',
        type: nodeType('weChatKfTrigger'),
        typeVersion: 1,
        position: [0, 0],
        webhookId: WEBHOOK_ID,
        parameters: { messageTypes: [], events: [], options: { skipHumanSessions: true } },
        credentials: CALLBACK_CRED,
      },
      {
        id: 'h2',
        name: 'Wants a human?',
        type: 'n8n-nodes-base.if',
        typeVersion: 2.2,
        position: [220, 0],
        parameters: {
          conditions: {
            options: { caseSensitive: false, leftValue: '', typeValidation: 'loose', version: 2 },
            conditions: [
              { id: 'c1', leftValue: '={{ $json.content }}', rightValue: 'human', operator: { type: 'string', operation: 'equals' } },
            ],
            combinator: 'and',
          },
          options: {},
        },
      },
      {
        id: 'h3',
        name: 'Hand over',
        type: nodeType('weChatKf'),
        typeVersion: 1,
        position: [440, -100],
        parameters: { resource: 'handoff', operation: 'handOff', openid: '={{ $json.openid }}', kfAccount: KF, ttl: 600 },
        credentials: WECHAT,
      },
      {
        id: 'h4',
        name: 'Bot reply',
        type: nodeType('weChatKf'),
        typeVersion: 1,
        position: [440, 100],
        parameters: {
          resource: 'message',
          operation: 'send',
          touser: '={{ $json.openid }}',
          msgtype: 'text',
          content: '=bot: {{ $json.content ?? $json.event }}',
        },
        credentials: WECHAT,
      },
    ],
  };
}

describeWithN8n()(`n8n ${N8N_VERSION}: hand a user to a human, and stay silent while the session is open`, () => {
  let sandbox: Sandbox;
  let n8n: N8nUnderTest;
  let n8nServer: N8nServer | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
    n8n = await prepareN8n('n8n-e2e-handoff-');
    await importIntoN8n(n8n, {
      credentials: [
        sandboxCredential(WECHAT.weChatOfficialAccountApi, sandbox),
        callbackCredential(CALLBACK_CRED.weChatCallbackApi, { token: CALLBACK_TOKEN, encodingAesKey: '', appId: sandbox.appId }),
      ],
      workflows: { 'handoff.json': handoffWorkflow() },
      publish: ['wfHandoffE2E0001'],
    });
    n8nServer = await n8n.start();
    await connectCallback(sandbox, n8n.triggerUrl(WEBHOOK_ID), { token: CALLBACK_TOKEN, mode: 'plain', format: 'xml' }, n8nServer.log);
    // The agent: a kf account bound to a WeChat user, logged in.
    const token = (await (
      await fetch(`${sandbox.url}/cgi-bin/token?grant_type=client_credential&appid=${sandbox.appId}&secret=${sandbox.appSecret}`)
    ).json()) as { access_token: string };
    const api = (path: string, body: unknown) =>
      fetch(`${sandbox.url}${path}?access_token=${token.access_token}`, { method: 'POST', body: JSON.stringify(body) });
    await api('/customservice/kfaccount/add', { kf_account: KF, nickname: 'Agent' });
    await api('/customservice/kfaccount/inviteworker', { kf_account: KF, invite_wx: 'agent_wx01' });
    await fetch(`${sandbox.url}/sandbox/kf-accounts/${KF}/invitation`, { method: 'POST', body: JSON.stringify({ answer: 'accept' }) });
    await fetch(`${sandbox.url}/sandbox/kf-accounts/${KF}/status`, { method: 'PUT', body: JSON.stringify({ status: 1 }) });
  });

  afterAll(async () => {
    await n8n?.stop();
    await sandbox?.stop();
  });

  const botReplies = () => sandbox.messages(OPENID).map((m) => (m.body.text as { content: string }).content);
  /** Waits a while and answers whether the bot stayed silent (no new reply). */
  const staysSilent = async (before: number) => {
    await new Promise((r) => setTimeout(r, 4000));
    return botReplies().length === before;
  };

  it('answers, hands over on "human", transfers the next message, is silent during the session and answers again after it', async () => {
    // act / assess: the bot answers
    await sandbox.simulateUser(OPENID, { type: 'text', content: 'hello' });
    await waitFor('the bot reply', () => (botReplies().length === 1 ? true : undefined), 60_000, n8nServer!.log);

    // the user asks for a human: the workflow marks them (no bot reply). Direct mode keeps the mark in the
    // workflow's static data, which n8n saves when the execution ends: the user's next message comes after.
    await sandbox.simulateUser(OPENID, { type: 'text', content: 'human' });
    await waitForFinishedExecutions(await ownerSession(`http://127.0.0.1:${n8n.port}`), 'wfHandoffE2E0001', 2, n8nServer!.log);
    expect(await staysSilent(1)).toBe(true);

    // the next message is transferred to the named agent, and the bot stays out of it
    const next = await sandbox.simulateUser(OPENID, { type: 'text', content: 'is anyone there?' });
    expect(next.reply).toMatchObject({ MsgType: 'transfer_customer_service', fields: { TransInfo: { KfAccount: KF } } });
    expect(next.reply?.problem).toBeUndefined();

    // the agent takes the user: kf_create_session; a menu click during the session starts nothing
    const accepted = (await (await fetch(`${sandbox.url}/sandbox/kf-accounts/${KF}/accept`, { method: 'POST', body: '{}' })).json()) as {
      push: { delivered: boolean };
    };
    expect(accepted.push.delivered).toBe(true);
    const click = await sandbox.simulateUser(OPENID, { type: 'event', event: 'CLICK', eventKey: 'MENU' });
    expect(click.delivered).toBe(true);
    const inSession = await sandbox.simulateUser(OPENID, { type: 'text', content: 'thanks agent' });
    expect(inSession.routedTo).toBe(KF);
    expect(await staysSilent(1)).toBe(true);

    // the session closes: the workflow runs again (the bot answers the close event)
    await fetch(`${sandbox.url}/sandbox/kf-accounts/${KF}/close`, { method: 'POST', body: JSON.stringify({ openid: OPENID }) });
    await waitFor('the bot to resume', () => (botReplies().length === 2 ? true : undefined), 60_000, n8nServer!.log);
    expect(botReplies()).toEqual(['bot: hello', 'bot: kf_close_session']);
  });
});
