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
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startSandbox, type Sandbox } from '../../functions/sandbox';
import { describeWithN8n, freePort, installPackage, N8N_BIN, n8nEnv, nodeType, run, startN8n, waitFor, waitForPushWebhook } from './support';

const OPENID = 'o_e2e_handoff';
const KF = 'agent1@sandbox';
const CALLBACK_TOKEN = 'e2eHandoff123';
const WEBHOOK_ID = 'wechat-e2e-handoff';
const WECHAT = { weChatOfficialAccountApi: { id: 'credHandoffWx001', name: 'WeChat sandbox' } };

jest.setTimeout(300_000);

function handoffWorkflow() {
  return {
    id: 'wfHandoffE2E0001',
    name: 'E2E handoff',
    active: false,
    settings: { executionOrder: 'v1' },
    connections: {
      Trigger: { main: [[{ node: 'Wants a human?', type: 'main', index: 0 }]] },
      'Wants a human?': { main: [[{ node: 'Hand over', type: 'main', index: 0 }], [{ node: 'Bot reply', type: 'main', index: 0 }]] },
    },
    nodes: [
      {
        id: 'h1',
        name: 'Trigger',
        type: nodeType('weChatKfTrigger'),
        typeVersion: 1,
        position: [0, 0],
        webhookId: WEBHOOK_ID,
        parameters: { messageTypes: [], events: [], options: { skipHumanSessions: true } },
        credentials: { weChatCallbackApi: { id: 'credHandoffCb001', name: 'WeChat callback' } },
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
            conditions: [{ id: 'c1', leftValue: '={{ $json.content }}', rightValue: 'human', operator: { type: 'string', operation: 'equals' } }],
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
        parameters: { resource: 'message', operation: 'send', touser: '={{ $json.openid }}', msgtype: 'text', content: '=bot: {{ $json.content ?? $json.event }}' },
        credentials: WECHAT,
      },
    ],
  };
}

describeWithN8n()('n8n 2.8.4: hand a user to a human, and stay silent while the session is open', () => {
  let sandbox: Sandbox;
  let work = '';
  let n8nServer: ReturnType<typeof startN8n> | undefined;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'n8n-e2e-handoff-'));
    const port = await freePort();
    sandbox = await startSandbox({ quiet: true });
    const env = n8nEnv(work, port, await freePort());
    await installPackage(work);
    writeFileSync(
      join(work, 'credentials.json'),
      JSON.stringify([
        { id: WECHAT.weChatOfficialAccountApi.id, name: 'WeChat sandbox', type: 'weChatOfficialAccountApi', data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' } },
        { id: 'credHandoffCb001', name: 'WeChat callback', type: 'weChatCallbackApi', data: { token: CALLBACK_TOKEN, encodingAesKey: '', appId: sandbox.appId } },
      ]),
    );
    writeFileSync(join(work, 'handoff.json'), JSON.stringify(handoffWorkflow()));
    for (const args of [['import:credentials', `--input=${join(work, 'credentials.json')}`], ['import:workflow', `--input=${join(work, 'handoff.json')}`], ['publish:workflow', '--id=wfHandoffE2E0001']]) {
      const result = await run(process.execPath, [N8N_BIN, ...args], { env, cwd: work });
      if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} failed (${result.code}):\n${result.out.slice(-4000)}`);
    }
    n8nServer = startN8n(env, work);
    await waitFor('n8n to answer /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok || undefined, 120_000, n8nServer.log);
    sandbox.configureCallback({ url: `http://127.0.0.1:${port}/webhook/${WEBHOOK_ID}/wechat`, token: CALLBACK_TOKEN, mode: 'plain', format: 'xml' });
    await waitFor('the URL check to pass', async () => (await sandbox.verifyCallback()).ok || undefined, 60_000, n8nServer.log);
    await waitForPushWebhook(`http://127.0.0.1:${port}/webhook/${WEBHOOK_ID}/wechat`, n8nServer.log);
    // The agent: a kf account bound to a WeChat user, logged in.
    const token = (await (await fetch(`${sandbox.url}/cgi-bin/token?grant_type=client_credential&appid=${sandbox.appId}&secret=${sandbox.appSecret}`)).json()) as { access_token: string };
    const api = (path: string, body: unknown) => fetch(`${sandbox.url}${path}?access_token=${token.access_token}`, { method: 'POST', body: JSON.stringify(body) });
    await api('/customservice/kfaccount/add', { kf_account: KF, nickname: 'Agent' });
    await api('/customservice/kfaccount/inviteworker', { kf_account: KF, invite_wx: 'agent_wx01' });
    await fetch(`${sandbox.url}/sandbox/kf-accounts/${KF}/invitation`, { method: 'POST', body: JSON.stringify({ answer: 'accept' }) });
    await fetch(`${sandbox.url}/sandbox/kf-accounts/${KF}/status`, { method: 'PUT', body: JSON.stringify({ status: 1 }) });
  });

  afterAll(async () => {
    await n8nServer?.stop();
    await sandbox?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
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

    // the user asks for a human: the workflow marks them (no bot reply)
    await sandbox.simulateUser(OPENID, { type: 'text', content: 'human' });
    expect(await staysSilent(1)).toBe(true);

    // the next message is transferred to the named agent, and the bot stays out of it
    const next = await sandbox.simulateUser(OPENID, { type: 'text', content: 'is anyone there?' });
    expect(next.reply).toMatchObject({ MsgType: 'transfer_customer_service', fields: { TransInfo: { KfAccount: KF } } });
    expect(next.reply?.problem).toBeUndefined();

    // the agent takes the user: kf_create_session; a menu click during the session starts nothing
    const accepted = (await (await fetch(`${sandbox.url}/sandbox/kf-accounts/${KF}/accept`, { method: 'POST', body: '{}' })).json()) as { push: { delivered: boolean } };
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
