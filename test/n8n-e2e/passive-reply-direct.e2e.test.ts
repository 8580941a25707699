/**
 * Passive replies in n8n's Direct mode, in a real n8n 2.8.4 (docs/passive-replies.md, "n8n Direct mode"): the
 * shipped example `examples/passive-reply-direct.json` (Trigger, Respond With: Reply Node → Message → Reply,
 * version 2) imported with the user's credentials picked and published; the sandbox, as WeChat, pushes a
 * user's text to the workflow's URL and gets the reply in the answer of that very push (plain XML, plain JSON,
 * and safe mode: encrypted with the callback credential's key). No custom/send is made. A workflow whose trigger waits
 * for a Reply node, in a workflow busy for longer than WeChat waits, still answers "success" within its 5 s, on
 * the first try.
 *
 * Needs: `bash test/n8n-e2e/install.sh` (or N8N_E2E_DIR) and `npm run build --workspace n8n-nodes`.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import {
  callbackCredential,
  connectCallback,
  describeWithN8n,
  importIntoN8n,
  nodeType,
  PACKAGE_DIR,
  prepareN8n,
  sandboxCredential,
  workflowBase,
  type N8nServer,
  type N8nUnderTest,
} from './support';

const TOKEN = 'e2eDirectReply1';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const API_CRED = { id: 'credDirReplyApi1', name: 'WeChat sandbox' };
const PLAIN_CRED = { id: 'credDirReplyPln1', name: 'WeChat callback (plain)' };
const SAFE_CRED = { id: 'credDirReplySaf1', name: 'WeChat callback (safe)' };

jest.setTimeout(300_000);

type Workflow = { nodes: Array<Record<string, any>> } & Record<string, unknown>;

/** The shipped example with an id, its own webhook path and the given callback credential picked. */
function example(id: string, webhookId: string, callback: { id: string; name: string }): Workflow {
  const workflow = JSON.parse(readFileSync(join(PACKAGE_DIR, 'examples', 'passive-reply-direct.json'), 'utf8')) as Workflow;
  const pick = (credentials: Record<string, unknown>) =>
    Object.fromEntries(Object.keys(credentials).map((type) => [type, type === 'weChatCallbackApi' ? callback : API_CRED]));
  return {
    ...workflow,
    id,
    active: false,
    nodes: workflow.nodes.map((node) => ({
      ...node,
      credentials: pick(node.credentials),
      ...(node.webhookId ? { webhookId } : {}),
    })),
  };
}

/** A trigger waiting for a Reply node, and a workflow busy for longer than WeChat waits (6 s). */
function busyWorkflow(): Workflow {
  return {
    ...workflowBase('wfDirReplyNone1', 'E2E no reply in time', ['Trigger', 'Busy']),
    nodes: [
      {
        id: 'n1',
        name: 'Trigger',
        type: nodeType('weChatKfTrigger'),
        typeVersion: 1,
        position: [0, 0],
        webhookId: 'wechat-e2e-direct-none',
        parameters: { respondWith: 'replyNode', messageTypes: [], events: [] },
        credentials: { weChatCallbackApi: PLAIN_CRED },
      },
      {
        id: 'n2',
        name: 'Busy',
        type: 'n8n-nodes-base.wait',
        typeVersion: 1.1,
        position: [220, 0],
        parameters: { resume: 'timeInterval', amount: 6, unit: 'seconds' },
      },
    ],
  };
}

describeWithN8n()("n8n 2.8.4: Direct mode answers WeChat's push with the workflow's Message → Reply", () => {
  let sandbox: Sandbox;
  let n8n: N8nUnderTest;
  let server: N8nServer | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
    n8n = await prepareN8n('n8n-e2e-direct-reply-');
    await importIntoN8n(n8n, {
      credentials: [
        sandboxCredential(API_CRED, sandbox),
        callbackCredential(PLAIN_CRED, { token: TOKEN, encodingAesKey: '', appId: sandbox.appId }),
        callbackCredential(SAFE_CRED, { token: TOKEN, encodingAesKey: AES_KEY, appId: sandbox.appId }),
      ],
      workflows: {
        'plain.json': example('wfDirReplyPlain1', 'wechat-e2e-direct-plain', PLAIN_CRED),
        'safe.json': example('wfDirReplySafe01', 'wechat-e2e-direct-safe', SAFE_CRED),
        'none.json': busyWorkflow(),
      },
      publish: ['wfDirReplyPlain1', 'wfDirReplySafe01', 'wfDirReplyNone1'],
    });
    server = await n8n.start();
  });

  afterAll(async () => {
    await n8n?.stop();
    await sandbox?.stop();
  });

  it('answers a plain push with the reply inside it, on the first try, without custom/send', async () => {
    // prepare
    await connectCallback(sandbox, n8n.triggerUrl('wechat-e2e-direct-plain'), { token: TOKEN, mode: 'plain' }, server!.log);
    // act
    const push = await sandbox.simulateUser('o_e2e_direct_plain', { type: 'text', content: 'hello plain' });
    // assess
    if (push.reply?.fields === undefined) throw new Error(`no reply: ${JSON.stringify(push)}\n${server!.log().slice(-4000)}`);
    expect(push).toMatchObject({ delivered: true, attempts: 1 });
    expect(push.reply).toMatchObject({ MsgType: 'text', fields: { MsgType: 'text', Content: 'You wrote: hello plain' } });
    expect(push.reply.problem).toBeUndefined();
    expect(sandbox.messages('o_e2e_direct_plain')).toEqual([
      expect.objectContaining({ channel: 'passive', body: expect.objectContaining({ text: { content: 'You wrote: hello plain' } }) }),
    ]);
    expect(sandbox.count('/cgi-bin/message/custom/send')).toBe(0);
  });

  it('answers a JSON push with a JSON reply', async () => {
    // prepare
    await connectCallback(sandbox, n8n.triggerUrl('wechat-e2e-direct-plain'), { token: TOKEN, mode: 'plain', format: 'json' }, server!.log);
    // act
    const push = await sandbox.simulateUser('o_e2e_direct_json', { type: 'text', content: 'hello json' });
    // assess
    if (push.reply?.fields === undefined) throw new Error(`no reply: ${JSON.stringify(push)}\n${server!.log().slice(-4000)}`);
    expect(push).toMatchObject({ delivered: true, attempts: 1 });
    expect(JSON.parse(push.body!)).toMatchObject({ ToUserName: 'o_e2e_direct_json', MsgType: 'text', Content: 'You wrote: hello json' });
    expect(push.reply.problem).toBeUndefined();
    expect(sandbox.messages('o_e2e_direct_json')).toEqual([expect.objectContaining({ channel: 'passive' })]);
  });

  it('answers a safe-mode push encrypted with the callback credential', async () => {
    // prepare
    await connectCallback(
      sandbox,
      n8n.triggerUrl('wechat-e2e-direct-safe'),
      { token: TOKEN, encodingAesKey: AES_KEY, mode: 'safe' },
      server!.log,
    );
    // act
    const push = await sandbox.simulateUser('o_e2e_direct_safe', { type: 'text', content: 'hello safe' });
    // assess
    if (push.reply?.fields === undefined) throw new Error(`no reply: ${JSON.stringify(push)}\n${server!.log().slice(-4000)}`);
    expect(push).toMatchObject({ delivered: true, attempts: 1 });
    expect(push.reply).toMatchObject({ encrypted: true, fields: { MsgType: 'text', Content: 'You wrote: hello safe' } });
    expect(push.reply.problem).toBeUndefined();
    expect(push.body).not.toContain('hello safe');
    expect(sandbox.messages('o_e2e_direct_safe')).toEqual([expect.objectContaining({ channel: 'passive' })]);
    expect(sandbox.count('/cgi-bin/message/custom/send')).toBe(0);
  });

  it('answers "success" within WeChat\'s 5 s when no reply comes in time, so WeChat does not retry', async () => {
    // prepare
    await connectCallback(sandbox, n8n.triggerUrl('wechat-e2e-direct-none'), { token: TOKEN, mode: 'plain' }, server!.log);
    // act
    const started = Date.now();
    const push = await sandbox.simulateUser('o_e2e_direct_none', { type: 'text', content: 'anyone?' });
    const tookMs = Date.now() - started;
    // assess
    expect(push).toMatchObject({ delivered: true, attempts: 1, body: 'success' });
    expect(push.reply).toBeUndefined();
    expect(tookMs).toBeGreaterThanOrEqual(4000);
    expect(tookMs).toBeLessThan(5000);
  });
});
