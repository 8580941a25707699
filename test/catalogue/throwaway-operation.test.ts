/**
 * "A new operation is one catalogue entry": a throwaway operation added to a COPY of the catalogue
 * appears, with no other edit, as a Lambda function (with its role from `needs`), an API route, an
 * EventBridge rule, a route of the local server that answers with the entry's status, and an n8n
 * operation with the entry's fields. A second throwaway, off by default (`enabledBy`), appears only when
 * its setting is on.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { INodeProperties } from 'n8n-workflow';
import { CATALOGUE, type Operation } from '../../functions/core/catalogue';
import { ValidationError } from '../../functions/core/errors';
import { functionsFor } from '../../functions/lambda/functions';
import { startLocal } from '../../functions/dev/local/server';
import { WeChatCustomerService } from '../../infra/lib/wechat-customer-service';
import { buildProperties, resourcesFor } from '../../n8n-nodes/nodes/WeChatKf/actions';
import { actionsOf, nestedStacks, resourcesOf, testApp } from '../infra/helpers';

/** A product-performed operation: no WeChat call, no table, answers 201 with what it was given. */
const echoNote: Operation<{ note_id: string; text: string }> = {
  name: 'echoNote',
  resource: 'note',
  action: 'echo',
  title: 'Echo a note',
  description: 'Answers with the note it was given (a throwaway operation for this test).',
  route: { method: 'POST', path: '/notes/{note_id}' },
  input: { kind: 'json' },
  successStatus: 201,
  gate: { kind: 'none' },
  direct: false,
  fields: [
    { name: 'note_id', displayName: 'Note ID', type: 'string', required: true },
    { name: 'text', displayName: 'Text', type: 'string', required: true, description: 'What to echo', rules: ['not empty'] },
  ],
  needs: { secret: false, callsWeChat: false, table: 'none', publishesEvents: false },
  parse: (input) => {
    const body = (input ?? {}) as Record<string, unknown>;
    if (typeof body.text !== 'string' || body.text === '') throw new ValidationError([{ field: 'text', rule: 'is required: a string' }]);
    return { note_id: String(body.note_id), text: body.text };
  },
  perform: async (input, services) => ({ note_id: input.note_id, echoed: input.text, at: services.now() }),
};

/** Off unless ECHO_SECRET_NOTES is turned on. */
const secretNote: Operation = {
  ...echoNote,
  name: 'echoSecretNote',
  action: 'echoSecret',
  title: 'Echo a secret note',
  route: { method: 'POST', path: '/secret-notes/{note_id}', enabledBy: 'ECHO_SECRET_NOTES' },
};

const COPY: readonly Operation[] = [...CATALOGUE, echoNote, secretNote];

describe('a throwaway operation added to a copy of the catalogue', () => {
  it('is a function, a route and a rule in the CDK construct, with IAM from its needs', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Throwaway');
    // Act
    new WeChatCustomerService(stack, 'WeChatKf', { functions: functionsFor(COPY), appId: 'wx0123456789abcdef' });
    const template = Template.fromStack(stack);
    // Assess
    const fn = resourcesOf(template, 'AWS::Lambda::Function').filter(([id]) => /^WeChatKfEchoNote[0-9A-F]{8}$/.test(id));
    expect(fn).toHaveLength(1);
    expect(fn[0]![1].Properties.Environment.Variables.OPERATION_NAME).toBe('echoNote');
    expect(fn[0]![1].Properties.Environment.Variables.SECRET_ID).toBeUndefined();
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /notes/{note_id}', AuthorizationType: 'AWS_IAM' });
    // The operations' rules live in the nested OperationRules stack (CloudFormation's 500 resources: infra/README.md).
    const rules = nestedStacks(stack).map((n) => Template.fromStack(n));
    expect(
      rules.some(
        (t) =>
          Object.keys(t.findResources('AWS::Events::Rule', { Properties: { EventPattern: { 'detail-type': ['echoNote'] } } })).length === 1,
      ),
    ).toBe(true);
    // needs: no table, no secret, no bus: its role may only write its logs, and (as every function that
    // accepts events) park failed asynchronous invocations in the events dead-letter queue.
    const roleId: string = fn[0]![1].Properties.Role['Fn::GetAtt'][0];
    const statements = resourcesOf(template, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]);
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    // Off by default.
    expect(template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: 'POST /secret-notes/{note_id}' } })).toEqual({});
  });

  it('is deployed when its setting is enabled', () => {
    const stack = new Stack(testApp(), 'Enabled');
    new WeChatCustomerService(stack, 'WeChatKf', {
      functions: functionsFor(COPY),
      appId: 'wx0123456789abcdef',
      enable: ['ECHO_SECRET_NOTES'],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /secret-notes/{note_id}' });
  });

  describe('on the local server', () => {
    let dataDir: string;
    beforeAll(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-throwaway-'));
    });
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    it('is a route answering with its success status; the one off by default is served only with its setting on', async () => {
      // Prepare
      const product = await startLocal({ port: 0, dataDir, env: {}, catalogue: COPY, now: () => 1_700_000_000_000 });
      const withSetting = await startLocal({ port: 0, dataDir: join(dataDir, 'on'), env: { ECHO_SECRET_NOTES: 'on' }, catalogue: COPY });
      try {
        // Act
        const post = (base: string, path: string, body: unknown) =>
          fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const echoed = await post(product.url, '/notes/n1', { text: 'hello' });
        const refused = await post(product.url, '/notes/n1', {});
        const off = await post(product.url, '/secret-notes/n1', { text: 'x' });
        const on = await post(withSetting.url, '/secret-notes/n1', { text: 'x' });
        // Assess
        expect(echoed.status).toBe(201);
        expect(await echoed.json()).toEqual({ note_id: 'n1', echoed: 'hello', at: 1_700_000_000_000 });
        expect(refused.status).toBe(400);
        expect(JSON.stringify(await refused.json())).toContain('text');
        expect(off.status).toBe(404);
        expect(on.status).toBe(201);
        expect(product.routes.some((r) => r.endsWith('/notes/{note_id}'))).toBe(true);
      } finally {
        await product.stop();
        await withSetting.stop();
      }
    });
  });

  it('is an n8n operation with its fields, building the input from them', async () => {
    // Prepare
    const resources = resourcesFor(COPY);
    // Act
    const properties = buildProperties(resources);
    const note = resources.find((r) => r.value === 'note');
    const echo = note?.operations.find((o) => o.value === 'echo');
    const params: Record<string, unknown> = { noteId: ' n7 ', text: 'hi' };
    const call = await echo!.prepare.call(
      { getNodeParameter: (name: string, _i: number, fallback?: unknown) => params[name] ?? fallback } as never,
      0,
    );
    // Assess
    expect(note?.name).toBe('Note');
    const shown = (p: INodeProperties) => p.displayOptions?.show?.resource?.[0] === 'note';
    expect(
      properties.filter((p) => p.name === 'operation' && shown(p)).flatMap((p) => p.options!.map((o) => (o as { value: string }).value)),
    ).toEqual(['echo', 'echoSecret']);
    expect(
      properties
        .filter((p) => shown(p) && p.displayOptions?.show?.operation?.[0] === 'echo')
        .map((p) => [p.name, p.displayName, p.required ?? false]),
    ).toEqual([
      ['noteId', 'Note ID', true],
      ['text', 'Text', true],
    ]);
    expect(call).toEqual({ operation: 'echoNote', input: { note_id: 'n7', text: 'hi' }, settings: {} });
  });
});
