/**
 * A small harness that runs the package's BUILT nodes (n8n-nodes/dist, what n8n loads) on n8n's real
 * engine: n8n-core's WorkflowExecute, with a NodeTypes registry, a credentials helper that keeps
 * credentials in memory (and, like n8n's own, runs `preAuthentication` for expirable fields and stores
 * what it returns), and a minimal IWorkflowExecuteAdditionalData. n8n's own NodeTestHarness is not
 * published, so this plays its part.
 *
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import { existsSync } from 'fs';
import { dirname, join } from 'path';
import { ErrorReporter, ExecutionLifecycleHooks, HookContext, LoadOptionsContext, WebhookContext, WorkflowExecute } from 'n8n-core';
import {
  ICredentialsHelper,
  Workflow,
  type ICredentialDataDecryptedObject,
  type ICredentials,
  type ICredentialType,
  type IDataObject,
  type IHttpRequestHelper,
  type IHttpRequestOptions,
  type INode,
  type INodeCredentialsDetails,
  type INodeExecutionData,
  type INodeProperties,
  type INodeType,
  type INodeTypes,
  type IRun,
  type IWorkflowExecuteAdditionalData,
  type IConnections,
  type IWebhookData,
  type IWebhookResponseData,
} from 'n8n-workflow';

export const PACKAGE_DIR = join(__dirname, '..', '..', 'n8n-nodes');
export const DIST_DIR = join(PACKAGE_DIR, 'dist');
export const PACKAGE = 'n8n-nodes-wechat-kf';

/** Fails with a clear message when the package has not been built. */
export function requireDist<T = Record<string, unknown>>(relative: string): T {
  const file = join(DIST_DIR, relative);
  if (!existsSync(file)) {
    throw new Error(
      `${file} is missing: build the n8n package first with \`npm run build --workspace n8n-nodes\` (from the repository root)`,
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as T;
}

export function loadPackage() {
  const pkg = require(join(PACKAGE_DIR, 'package.json')) as { n8n: { nodes: string[]; credentials: string[] } };
  const nodes: Record<string, INodeType> = {};
  const credentials: Record<string, ICredentialType> = {};
  for (const file of pkg.n8n.nodes) {
    const className = file
      .split('/')
      .pop()!
      .replace(/\.node\.js$/, '');
    const mod = requireDist<Record<string, new () => INodeType>>(file.replace(/^dist\//, ''));
    const node = new mod[className]!();
    nodes[`${PACKAGE}.${node.description.name}`] = node;
    // n8n runs a node usable as a tool under a variant type named `<name>Tool` (its description renamed so):
    // the same node, which tells from the name that an AI agent runs it (`@tool` in displayOptions).
    if (node.description.usableAsTool) {
      const tool = Object.assign(Object.create(Object.getPrototypeOf(node) as object) as INodeType, node, {
        description: { ...node.description, name: `${node.description.name}Tool` },
      });
      nodes[`${PACKAGE}.${node.description.name}Tool`] = tool;
    }
  }
  for (const file of pkg.n8n.credentials) {
    const className = file
      .split('/')
      .pop()!
      .replace(/\.credentials\.js$/, '');
    const mod = requireDist<Record<string, new () => ICredentialType>>(file.replace(/^dist\//, ''));
    const credential = new mod[className]!();
    credentials[credential.name] = credential;
  }
  return { pkg, nodes, credentials };
}

/** A node type that outputs the items given in its `items` parameter (JSON, with optional binary). */
export class ItemsSource implements INodeType {
  description = {
    displayName: 'Items',
    name: 'items',
    group: ['input'],
    version: 1,
    description: 'Outputs fixed items',
    defaults: { name: 'Items' },
    inputs: ['main'],
    outputs: ['main'],
    properties: [{ displayName: 'Items', name: 'items', type: 'json', default: '[]' }],
  } as unknown as INodeType['description'];

  async execute(this: import('n8n-workflow').IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const raw = this.getNodeParameter('items', 0) as string | INodeExecutionData[];
    const items = (typeof raw === 'string' ? JSON.parse(raw) : raw) as INodeExecutionData[];
    return [items.map((item, index) => ({ ...item, pairedItem: { item: 0 }, json: item.json ?? {}, index }) as INodeExecutionData)];
  }
}

/**
 * What n8n's HTTP Request node does with *Authentication → Predefined Credential Type*: one
 * `httpRequestWithAuthentication` of the credential type named in `credentialType`, to `url`, answering
 * the body as the item (listing the direct credential type: n8n lets only its own HTTP Request node use
 * any type; n8n-nodes-base is not a dependency of the package; the real node is run in
 * test/n8n-e2e/passthrough.e2e.test.ts).
 */
export class PredefinedCredentialRequest implements INodeType {
  description = {
    displayName: 'Predefined Credential Request',
    name: 'predefinedCredentialRequest',
    group: ['output'],
    version: 1,
    description: 'One request with a predefined credential type',
    defaults: { name: 'Request' },
    // n8n grants a node the credential types it lists (the HTTP Request node, alone, may use any).
    credentials: [{ name: 'weChatOfficialAccountApi', required: true }],
    inputs: ['main'],
    outputs: ['main'],
    properties: [
      { displayName: 'Credential Type', name: 'credentialType', type: 'string', default: '' },
      { displayName: 'URL', name: 'url', type: 'string', default: '' },
    ],
  } as unknown as INodeType['description'];

  async execute(this: import('n8n-workflow').IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const type = this.getNodeParameter('credentialType', 0) as string;
    const url = this.getNodeParameter('url', 0) as string;
    const body = (await this.helpers.httpRequestWithAuthentication.call(this, type, { method: 'GET', url, json: true })) as IDataObject;
    return [[{ json: body, pairedItem: { item: 0 } }]];
  }
}

export class TestNodeTypes implements INodeTypes {
  constructor(private readonly types: Record<string, INodeType>) {}
  getByName(type: string): INodeType {
    const found = this.types[type];
    if (!found) throw new Error(`unknown node type ${type}`);
    return found;
  }
  getByNameAndVersion(type: string): INodeType {
    return this.getByName(type);
  }
  getKnownTypes(): IDataObject {
    return {};
  }
}

/** Credentials kept in memory, by id. */
export class MemoryCredentialsHelper extends ICredentialsHelper {
  /** Every call of a credential type's preAuthentication, in order. */
  readonly preAuthCalls: { type: string; forced: boolean }[] = [];
  /** Every update stored, in order. */
  readonly updates: { id: string; data: ICredentialDataDecryptedObject }[] = [];

  constructor(
    private readonly types: Record<string, ICredentialType>,
    readonly store: Record<string, { type: string; data: ICredentialDataDecryptedObject }>,
  ) {
    super();
  }

  getParentTypes(): string[] {
    return [];
  }

  getCredentialsProperties(type: string): INodeProperties[] {
    return this.types[type]?.properties ?? [];
  }

  async getCredentials(details: INodeCredentialsDetails, type: string): Promise<ICredentials> {
    return { id: details.id, name: details.name, type, data: '' } as unknown as ICredentials;
  }

  async getDecrypted(_a: IWorkflowExecuteAdditionalData, details: INodeCredentialsDetails): Promise<ICredentialDataDecryptedObject> {
    const entry = this.store[details.id ?? ''];
    if (!entry) throw new Error(`no credentials with id ${details.id}`);
    return { ...entry.data };
  }

  async updateCredentials(details: INodeCredentialsDetails, _type: string, data: ICredentialDataDecryptedObject): Promise<void> {
    const entry = this.store[details.id ?? ''];
    if (!entry) throw new Error(`no credentials with id ${details.id}`);
    // Like n8n's: stored as JSON, so undefined values drop out.
    entry.data = JSON.parse(JSON.stringify(data)) as ICredentialDataDecryptedObject;
    this.updates.push({ id: details.id ?? '', data: { ...entry.data } });
  }

  async updateCredentialsOauthTokenData(): Promise<void> {}

  /** What n8n's CredentialsHelper does: run preAuthentication when the expirable field is empty or expired. */
  async preAuthentication(
    helpers: IHttpRequestHelper,
    credentials: ICredentialDataDecryptedObject,
    typeName: string,
    node: INode,
    credentialsExpired: boolean,
  ): Promise<ICredentialDataDecryptedObject | undefined> {
    const type = this.types[typeName];
    const expirable = type?.properties.find((p) => p.type === 'hidden' && p.typeOptions?.expirable === true);
    if (!type?.preAuthentication || !expirable) return undefined;
    if (credentials[expirable.name] !== '' && !credentialsExpired) return undefined;
    this.preAuthCalls.push({ type: typeName, forced: credentialsExpired });
    const output = await type.preAuthentication.call(helpers, credentials);
    if (output[expirable.name] === undefined) return undefined;
    const details = node.credentials?.[typeName];
    if (details) {
      await this.updateCredentials(details, typeName, Object.assign(credentials, output) as ICredentialDataDecryptedObject);
    }
    return Object.assign(credentials, output) as ICredentialDataDecryptedObject;
  }

  /** What n8n's CredentialsHelper does: a function, or generic properties resolved against $credentials. */
  async authenticate(
    credentials: ICredentialDataDecryptedObject,
    typeName: string,
    requestOptions: IHttpRequestOptions,
    workflow: Workflow,
    node: INode,
  ): Promise<IHttpRequestOptions> {
    const type = this.types[typeName];
    const authenticate = type?.authenticate;
    if (!authenticate) return requestOptions;
    if (typeof authenticate === 'function') return await authenticate(credentials, requestOptions);
    if (authenticate.type === 'generic') {
      const target = requestOptions as unknown as Record<string, Record<string, unknown>>;
      for (const [outer, values] of Object.entries(authenticate.properties)) {
        for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
          const resolve = (v: unknown) =>
            typeof v === 'string' && v.startsWith('=')
              ? workflow.expression.getSimpleParameterValue(node, v, 'internal', { $credentials: credentials }, undefined, '')
              : v;
          if (!target[outer]) target[outer] = {};
          target[outer]![String(resolve(key))] = resolve(value);
        }
      }
    }
    return requestOptions;
  }
}

/** What n8n-core reported to its ErrorReporter (n8n's Sentry hook), instead of a logger this harness lacks. */
export const reportedErrors: unknown[] = [];
// n8n-core has its own copy of @n8n/di: use the container n8n-core itself sees.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Container } = require(require.resolve('@n8n/di', { paths: [dirname(require.resolve('n8n-core'))] })) as typeof import('@n8n/di');
const fromCore = (id: string) => require(require.resolve(id, { paths: [dirname(require.resolve('n8n-core'))] })) as Record<string, unknown>;
const { Logger } = fromCore('@n8n/backend-common') as { Logger: new (...args: never[]) => unknown };
const quietLogger: Record<string, unknown> = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  scoped: () => quietLogger,
};
Container.set(Logger, quietLogger);
// n8n-core's SSH tunnel manager starts a 60 s interval when first used (for every node execution), which
// keeps jest from exiting: register one without the interval (no node here opens SSH tunnels).
const { SSHClientsManager } = require(join(dirname(require.resolve('n8n-core')), 'execution-engine', 'ssh-clients-manager.js')) as {
  SSHClientsManager: new (...args: never[]) => unknown;
};
Container.set(SSHClientsManager, {
  getClient: async () => {
    throw new Error('SSH tunnels are not supported in this harness');
  },
  onShutdown: () => undefined,
  cleanupStaleConnections: () => undefined,
});
Container.set(ErrorReporter, {
  error: (e: unknown) => reportedErrors.push(e),
  warn: () => undefined,
  info: () => undefined,
} as unknown as ErrorReporter);

/** What a trigger's webhook() answered through the response object n8n hands it. */
export interface WebhookAnswer {
  status?: number;
  type?: string;
  body?: string;
}

/** The response object n8n hands a webhook (`status`, `type`, `send`, chained), recording the answer. */
export function webhookResponse() {
  const answer: WebhookAnswer = {};
  const res = {
    status(code: number) {
      answer.status = code;
      return res;
    },
    type(contentType: string) {
      answer.type = contentType;
      return res;
    },
    send(body: string) {
      answer.body = body;
      return res;
    },
  };
  return { res, answer };
}

/** One request to a trigger's webhook() through a minimal IWebhookFunctions (see callWebhook). */
export interface MinimalWebhookCall {
  method?: 'GET' | 'POST';
  headers: Record<string, unknown>;
  rawBody?: Buffer;
  query?: Record<string, string>;
  /** The node's parameters; a name not here reads as the trigger's own fallback. */
  parameters: Record<string, unknown>;
  /** The workflow's static data, or one object a kind (`node`, `global`) as n8n keeps them. */
  staticData: Record<string, unknown> | ((type: string) => Record<string, unknown>);
  /** What getCredentials answers (Direct mode's callback credential). */
  credentials?: Record<string, unknown>;
  /** The node's id (the trigger keeps this process's memory of pushes per node id). */
  nodeId: string;
}

/**
 * Calls a trigger's webhook() with a minimal IWebhookFunctions instead of n8n-core's WebhookContext (that
 * is `createHarness().webhook`): for checks that need only the request, the node's parameters, its static
 * data and credential. Answers what the trigger answered and the JSON of the items it started with.
 */
export async function callWebhook(
  trigger: INodeType,
  call: MinimalWebhookCall,
): Promise<{ result: IWebhookResponseData; answer: WebhookAnswer; items?: IDataObject[] }> {
  const { res, answer } = webhookResponse();
  const method = call.method ?? 'POST';
  const { parameters, staticData } = call;
  const ctx = {
    getResponseObject: () => res,
    getRequestObject: () => ({ method, headers: call.headers, rawBody: call.rawBody }),
    getQueryData: () => call.query ?? {},
    getBodyData: () => ({}),
    getWebhookName: () => (method === 'GET' ? 'setup' : 'default'),
    getCredentials: async () => call.credentials ?? {},
    getNodeParameter: (name: string, fallback: unknown) => (name in parameters ? parameters[name] : fallback),
    getWorkflowStaticData: (type: string) => (typeof staticData === 'function' ? staticData(type) : staticData),
    getNode: () => ({ id: call.nodeId, name: 'Trigger' }),
    helpers: { returnJsonArray: (items: unknown[]) => items.map((json) => ({ json })) },
  };
  const result = await trigger.webhook!.call(ctx as never);
  return { result, answer, items: (result.workflowData as { json: IDataObject }[][] | undefined)?.[0]?.map((i) => i.json) };
}

export interface HarnessOptions {
  credentials: Record<string, { type: string; data: ICredentialDataDecryptedObject }>;
}

/** Builds a harness over the built package. */
export function createHarness(options: HarnessOptions) {
  const { nodes, credentials } = loadPackage();
  const nodeTypes = new TestNodeTypes({
    ...nodes,
    'test.items': new ItemsSource(),
    'test.predefinedCredentialRequest': new PredefinedCredentialRequest(),
  });
  const credentialsHelper = new MemoryCredentialsHelper(credentials, options.credentials);

  /**
   * Runs `Items → node` and returns the node's output items, or its error.
   *
   * @param parameters the WeChat node's parameters
   * @param items the input items
   * @param nodeCredentials e.g. `{ weChatOfficialAccountApi: { id: 'c1', name: 'WeChat' } }`
   * @param settings.nodeType the node type to run instead of the WeChat node, e.g. `test.predefinedCredentialRequest`
   */
  async function run(
    parameters: IDataObject,
    items: INodeExecutionData[],
    nodeCredentials: Record<string, { id: string; name: string }>,
    settings: { continueOnFail?: boolean; staticData?: IDataObject; nodeType?: string; typeVersion?: number } = {},
  ): Promise<{ items: INodeExecutionData[]; error?: Error & Record<string, unknown>; run: IRun; responses: unknown[] }> {
    const source: INode = {
      id: 'source',
      name: 'Items',
      type: 'test.items',
      typeVersion: 1,
      position: [0, 0],
      parameters: { items: JSON.stringify(items) },
    };
    const target: INode = {
      id: 'wechat',
      name: 'WeChat',
      type: settings.nodeType ?? `${PACKAGE}.weChatKf`,
      typeVersion: settings.typeVersion ?? 1,
      position: [200, 0],
      parameters: parameters as INode['parameters'],
      credentials: nodeCredentials,
      ...(settings.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
    };
    const connections: IConnections = { Items: { main: [[{ node: 'WeChat', type: 'main', index: 0 }]] } };
    const workflow = new Workflow({
      id: 'wf1',
      name: 'test',
      nodes: [source, target],
      connections,
      active: false,
      nodeTypes,
      // The workflow's static data; pass one object to share it with a trigger called afterwards.
      staticData: settings.staticData ?? {},
      settings: { executionOrder: 'v1' },
    });
    const hooks = new ExecutionLifecycleHooks('manual', 'exec1', {
      id: 'wf1',
      name: 'test',
      nodes: [source, target],
      connections,
      active: false,
      activeVersionId: null,
      isArchived: false,
      settings: {},
      createdAt: new Date(),
      updatedAt: new Date(),
    } as never);
    // What the node answered a waiting webhook with (`this.sendResponse`, as n8n's response-node pattern).
    const responses: unknown[] = [];
    hooks.addHandler('sendResponse', async (response) => void responses.push(response));
    const additionalData = additionalDataFor(hooks);
    const executor = new WorkflowExecute(additionalData, 'manual');
    const result = await executor.run({ workflow, startNode: source });
    const taskData = result.data.resultData.runData['WeChat']?.[0];
    const out = (taskData?.data?.main?.[0] ?? []) as INodeExecutionData[];
    const error = (taskData?.error ?? result.data.resultData.error) as (Error & Record<string, unknown>) | undefined;
    return { items: out, error, run: result, responses };
  }

  function additionalDataFor(hooks: ExecutionLifecycleHooks): IWorkflowExecuteAdditionalData {
    return {
      credentialsHelper,
      hooks,
      executeWorkflow: async () => {
        throw new Error('not supported in this harness');
      },
      getRunExecutionData: async () => undefined,
      currentNodeExecutionIndex: 0,
      restApiUrl: 'http://localhost:5678/rest',
      instanceBaseUrl: 'http://localhost:5678/',
      formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
      webhookBaseUrl: 'http://localhost:5678/webhook',
      webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
      webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
      variables: {},
      logAiEvent: () => undefined,
      startRunnerTask: async () => {
        throw new Error('not supported in this harness');
      },
      executionId: 'exec1',
    } as unknown as IWorkflowExecuteAdditionalData;
  }

  /** A workflow of the trigger alone, active, with `parameters`, credentials and static data, and its lifecycle hooks. */
  function triggerWorkflow(
    parameters: IDataObject,
    nodeCredentials: Record<string, { id: string; name: string }>,
    staticData: IDataObject,
    mode: 'webhook' | 'trigger',
    executionId: string,
  ) {
    const node: INode = {
      id: 'trigger',
      name: 'Trigger',
      type: `${PACKAGE}.weChatKfTrigger`,
      typeVersion: 1,
      position: [0, 0],
      parameters: parameters as INode['parameters'],
      credentials: nodeCredentials,
      webhookId: 'hook1',
    };
    const shape = { id: 'wf-trigger', name: 'trigger test', nodes: [node], connections: {}, active: true };
    const workflow = new Workflow({ ...shape, nodeTypes, staticData, settings: { executionOrder: 'v1' } });
    const hooks = new ExecutionLifecycleHooks(mode, executionId, {
      ...shape,
      activeVersionId: null,
      isArchived: false,
      settings: {},
      createdAt: new Date(),
      updatedAt: new Date(),
    } as never);
    return { node, workflow, hooks };
  }

  /**
   * Calls the trigger's webhook() with n8n-core's own WebhookContext (real credentials, HTTP and binary
   * helpers), on one request, as n8n's webhook server does; answers what the trigger answered and the
   * items it started the workflow with.
   */
  async function webhook(
    parameters: IDataObject,
    request: { method?: 'GET' | 'POST'; headers?: Record<string, string>; rawBody: Buffer; query?: Record<string, string> },
    nodeCredentials: Record<string, { id: string; name: string }>,
    staticData: IDataObject = {},
  ): Promise<{ status?: number; body?: string; items?: INodeExecutionData[]; result: IWebhookResponseData }> {
    const { node, workflow, hooks } = triggerWorkflow(parameters, nodeCredentials, staticData, 'webhook', 'exec-hook');
    const { res, answer } = webhookResponse();
    const req = {
      method: request.method ?? 'POST',
      headers: request.headers ?? {},
      query: request.query ?? {},
      rawBody: request.rawBody,
      body: {},
    };
    const additionalData = Object.assign(additionalDataFor(hooks), { httpRequest: req, httpResponse: res });
    const webhookData = {
      httpMethod: req.method,
      node: node.name,
      path: 'wechat',
      webhookDescription: {
        name: req.method === 'GET' ? 'setup' : 'default',
        httpMethod: req.method,
        path: 'wechat',
        responseMode: 'onReceived',
      },
      workflowId: workflow.id,
      workflowExecuteAdditionalData: additionalData,
    } as unknown as IWebhookData;
    const context = new WebhookContext(workflow, node, additionalData, 'webhook', webhookData, [], null);
    const type = nodeTypes.getByName(node.type);
    const result = await type.webhook!.call(context);
    return { status: answer.status, body: answer.body, items: result.workflowData?.[0], result };
  }

  /**
   * Calls one of the trigger's webhook methods (`checkExists`, `create`, `delete`) with n8n-core's own
   * HookContext, as n8n does on activation and deactivation: the trigger with `parameters` and
   * credentials, its production webhook URL under http://localhost:5678/webhook, and `staticData` (the
   * workflow's, kept by the caller between calls).
   */
  async function hook(
    method: 'checkExists' | 'create' | 'delete',
    parameters: IDataObject,
    nodeCredentials: Record<string, { id: string; name: string }>,
    staticData: IDataObject,
  ): Promise<boolean> {
    const { node, workflow, hooks } = triggerWorkflow(parameters, nodeCredentials, staticData, 'trigger', 'exec-activate');
    const webhookData = { webhookDescription: { name: 'default', httpMethod: 'POST', path: 'wechat' }, isTest: false } as never;
    const context = new HookContext(workflow, node, additionalDataFor(hooks), 'trigger', 'activate', webhookData);
    const type = nodeTypes.getByName(node.type);
    return await type.webhookMethods!.default![method]!.call(context);
  }

  /**
   * Calls one of a node's list searches (a resource locator's *From List*) with n8n-core's own
   * LoadOptionsContext, as the editor does: the node at `typeVersion` with `parameters` and credentials
   * (the action node unless `nodeType` names another, e.g. `weChatKfTrigger`).
   */
  async function listSearch(
    method: string,
    parameters: IDataObject,
    nodeCredentials: Record<string, { id: string; name: string }>,
    filter?: string,
    typeVersion = 2,
    nodeType = 'weChatKf',
  ): Promise<{ results: Array<{ name: string; value: string | number; url?: string }> }> {
    const node: INode = {
      id: 'wechat',
      name: 'WeChat',
      type: `${PACKAGE}.${nodeType}`,
      typeVersion,
      position: [0, 0],
      parameters: parameters as INode['parameters'],
      credentials: nodeCredentials,
    };
    const workflow = new Workflow({
      id: 'wf-editor',
      name: 'editor',
      nodes: [node],
      connections: {},
      active: false,
      nodeTypes,
      staticData: {},
      settings: { executionOrder: 'v1' },
    });
    const hooks = new ExecutionLifecycleHooks('manual', 'exec-editor', {
      id: 'wf-editor',
      name: 'editor',
      nodes: [node],
      connections: {},
      active: false,
      activeVersionId: null,
      isArchived: false,
      settings: {},
      createdAt: new Date(),
      updatedAt: new Date(),
    } as never);
    const context = new LoadOptionsContext(workflow, node, additionalDataFor(hooks), 'parameters');
    const type = nodeTypes.getByName(node.type) as INodeType & {
      methods?: { listSearch?: Record<string, (this: unknown, filter?: string) => Promise<never>> };
    };
    const search = type.methods?.listSearch?.[method];
    if (!search) throw new Error(`the node has no list search ${method}`);
    return await search.call(context, filter);
  }

  return { run, webhook, hook, listSearch, nodes, credentials, credentialsHelper, nodeTypes };
}
