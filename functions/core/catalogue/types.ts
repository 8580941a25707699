/**
 * The shape of one catalogue entry: every fact about an operation that any surface needs (Lambda handler,
 * CDK function, route, rule and IAM, local server, n8n node, console). Surfaces read these facts; none of
 * them branches on an operation's name. See docs/operations.md for how to add an operation of each kind.
 */
import type { RulesProfile } from '../limits';
import type { PassthroughInput } from '../passthrough';
import type { MediaCacheLike, MediaFetcher } from '../media/uploader';

/**
 * What an operation acts on, in the words of WeChat's docs (`kfAccount`, `message`, `typing`, …). The n8n
 * node has one Resource option per value, titled from the camelCase name (`kfAccount` → "Kf Account").
 */
export type Resource = string;

/** HTTP methods of the product's routes. */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request to WeChat, before the access token and base URL are added. */
export interface WeChatRequestSpec {
  method: 'GET' | 'POST';
  /** Path from the API root, e.g. `/cgi-bin/message/custom/send`. */
  path: string;
  /** Query values besides `access_token`. `@` is kept literal when the query is built. */
  query?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** A multipart/form-data body with one file. */
  file?: { field: string; filename: string; contentType: string; data: Uint8Array };
  /**
   * `file`: the answer may be a file (media/get) rather than JSON: the client then answers
   * `{file: {data, contentType, filename?}}` instead of parsing it (an errcode JSON still throws).
   */
  answer?: 'file';
}

/**
 * Settings that change how inputs are checked and requests are built. An option of one operation is
 * declared in that operation's file (e.g. `kfDeleteMethod` in kf-accounts.ts), as services are.
 */
export interface OperationOptions {
  /** Which limits apply; `current` by default. */
  profile?: RulesProfile;
  /** The cap on a text's content in UTF-8 bytes (TEXT_MAX_BYTES, default 2048; docs/long-text.md). */
  textMaxBytes?: number;
  /** AI_LABEL_DEFAULT: whether a send that does not say `aiGenerated` carries WeChat's AI label (docs/ai-label.md). */
  aiLabelDefault?: boolean;
}

/** WeChat's JSON answer to a successful call (errcode 0 or absent). */
export type WeChatResult = Record<string, unknown> & { errcode?: number; errmsg?: string };

/**
 * What became of a call's request, for whoever counted it beforehand (the send gate): whether it may
 * have reached WeChat without WeChat refusing it. `false` until a request is handed to the transport;
 * back to `false` when the transport proves it never arrived or WeChat answered with an errcode.
 *
 * @example
 * ```ts
 * const trace: SendTrace = { mayHaveReachedWeChat: false };
 * try { await client.request(spec, openid, trace); }
 * catch (e) { if (!trace.mayHaveReachedWeChat) await permit.release(); throw e; }
 * ```
 */
export interface SendTrace {
  mayHaveReachedWeChat: boolean;
}

/** A file an operation answers with (answer kind `file`). */
export interface FileResult {
  data: Uint8Array;
  /** Overrides the entry's `answer.contentType`, e.g. what WeChat said the file is. */
  contentType?: string;
  filename?: string;
}

/** What an operation answers: WeChat's (or the product's) JSON, or a file. */
export type OperationResult = Record<string, unknown> | FileResult;

/**
 * The route that serves an operation, on the local server and API Gateway. `{name}` path parameters are
 * input fields.
 */
export interface OperationRoute {
  method: RouteMethod;
  path: string;
  /** `iam` (default): callers sign with SigV4. `none`: public; only for routes that check a signature themselves. */
  auth?: 'iam' | 'none';
  /**
   * The setting that turns the operation on, e.g. `TOKEN_VENDING`: without it the operation has no
   * function, no route and no rule (CDK prop `enable: ['TOKEN_VENDING']`, local env `TOKEN_VENDING=on`).
   * Absent: always on.
   */
  enabledBy?: string;
  /**
   * The route has an IAM permission of its own: the construct's `grantInvoke` never covers it, only a
   * grant of this route alone (e.g. `grantTokenVending`). For routes that hand out credentials.
   */
  ownPermission?: boolean;
  /**
   * The operation's own route for one account of several, `{appId}` in it, for an operation with a
   * permission of its own (`/access-token/{appId}`). Outside `/accounts/{appId}/`: a grant of an account's
   * operations is a wildcard on that prefix, and must not cover it (docs/accounts.md). Absent: the
   * operation is served per account under that prefix, or not at all (see accountRouteOf).
   */
  accountPath?: string;
}

/**
 * How an HTTP request carries the input. `json`: a JSON body (none for GET and DELETE), merged with the
 * path parameters and the `query` names. `file`: the bytes of one file, as a raw body of an accepted
 * content type or as multipart/form-data with the file in `field`; they reach `parse` as
 * `{[field]: Uint8Array, filename?, ...path and query parameters}`. A JSON body is still accepted (the file
 * as base64), for callers that cannot send bytes.
 */
export type InputSpec =
  | {
      kind: 'json';
      /**
       * multipart/form-data is accepted too, for inputs that may carry files (sends whose media are files):
       * a text part `message` holds the whole JSON input, other text parts are fields (dotted names nest:
       * `video.title`), and each file part is placed at its dotted name as `{file, filename}`, e.g.
       * `image.media_id`. Files of at most `maxBytes` each.
       */
      files?: { maxBytes: number };
    }
  | {
      kind: 'file';
      /** The multipart field and input field that hold the bytes, e.g. `media`. */
      field: string;
      /** Largest file accepted, in bytes (refused with 400 before anything else is done). */
      maxBytes: number;
      /** Content types accepted as a raw body, e.g. `['image/jpeg']`. */
      accepts: readonly string[];
    };

/** What an operation answers over HTTP: JSON (default), or a file with its content type. */
export type AnswerSpec =
  | {
      kind: 'json';
      /** The array of the answer that lists items (n8n splits it into one item each), e.g. `kf_list`. */
      listField?: string;
      /**
       * WeChat may answer a file instead (the passthrough: `cgi-bin/media/get`, `material/get_material`,
       * `showqrcode`): the HTTP route then answers that file with WeChat's content type and name, and n8n
       * puts it into the item's binary data. Which one comes back is known only from the answer.
       */
      mayAnswerFile?: boolean;
    }
  | { kind: 'file'; contentType: string; filename?: string };

/**
 * What the send and typing gates need, read from a parsed input. The `send` gate counts against the
 * user's send window; the `typing` gate checks the typing rules for a command. Both run before WeChat is
 * called, so a refused operation costs nothing.
 */
export type Gate<I = any> =
  | { kind: 'none' }
  | { kind: 'send'; recipient(input: I): string }
  | { kind: 'typing'; recipient(input: I): string; command(input: I): 'Typing' | 'CancelTyping' };

/**
 * One input field, as plain data: the n8n node's fields and the console's forms are generated from it,
 * and docs list it. `parse` is still the one that validates; `rules` says its rules in words.
 */
export interface FieldSpec {
  /** The input's key, e.g. `kf_account`. n8n's parameter is its camelCase (`kfAccount`). */
  name: string;
  /** The label, e.g. "Kf Account". */
  displayName: string;
  /**
   * `media`: a file WeChat needs as a media_id (docs/media.md). Its value in the input is a media_id
   * (string), `{file, filename?}` (the bytes) or `{url}` (fetched by the product); `sources` says which of
   * the three it takes. n8n shows it as Source: Media ID | Binary Property | URL.
   */
  type: 'string' | 'number' | 'boolean' | 'enum' | 'json' | 'file' | 'media';
  required?: boolean;
  description?: string;
  /** For `enum`: the values, with their labels. */
  enum?: readonly { value: string; name: string; description?: string }[];
  /** The rules `parse` applies, in words, e.g. "at most 16 characters". */
  rules?: readonly string[];
  /** The value a form starts with. */
  default?: string | number | boolean;
  placeholder?: string;
  /** A secret (password field: masked in forms). */
  secret?: boolean;
  /** Multi-line text. */
  multiline?: boolean;
  /** Meaningful only when the field of this name is given: forms leave it out otherwise. */
  onlyWith?: string;
  /** For `media`: where the file may come from. Default: all three, a media_id first. */
  sources?: readonly MediaSource[];
}

/**
 * Where a `media` field's file comes from: a `mediaId` WeChat already holds (the value is that string),
 * a `file` (`{file: bytes, filename?}`), or a `url` (`{url}`, fetched by the product).
 */
export type MediaSource = 'mediaId' | 'file' | 'url';

/**
 * What the function of an operation needs: CDK turns it into its environment and least-privilege IAM.
 */
export interface FunctionNeeds {
  /** Reads the Secrets Manager secret (app secret, callback token, AES key). */
  secret: boolean;
  /** Calls WeChat's API (and so is placed behind the whitelisted egress IP when that option is on). */
  callsWeChat: boolean;
  /** Table access: the token cache needs `readWrite` for any function that calls WeChat. */
  table: 'none' | 'read' | 'readWrite';
  /** Publishes to the event bus. */
  publishesEvents: boolean;
  /** SQS queues it sends to, by the name the construct gives them (e.g. `bulkSend`). */
  queues?: readonly string[];
  /**
   * The key that seals webhook subscription secrets (docs/webhooks.md): `seal` may only encrypt with it
   * (creating a subscription), `open` may only decrypt (delivering).
   */
  webhookKey?: 'seal' | 'open';
  /**
   * The key that seals the secrets of the accounts added with `POST /accounts` (docs/accounts.md): `seal`
   * may only encrypt with it (adding an account), `open` may only decrypt (every function that acts for an
   * account). Encryption context: `{ appId }`.
   */
  accountKey?: 'seal' | 'open';
  /**
   * Needs the official account's app id without reading the secret (`secret: false`): the construct gives
   * it `WECHAT_APP_ID` from its `appId` prop, and warns at synth when that prop is missing. No built-in
   * function needs it (the webhook functions key nothing by app id); a function of your own may.
   */
  appId?: boolean;
}

/** Memory and timeout of an operation's function. Default 256 MB, 15 s (one WeChat call, one token refresh, one retry). */
export interface Sizing {
  memoryMb: number;
  timeoutSeconds: number;
}

/**
 * The services an operation's own hook may use. The core defines what they do, not how: the handlers
 * (DynamoDB, EventBridge, SQS) and the local server supply them; n8n's direct mode supplies `wechat` and
 * the few it keeps in the workflow's static data (handoffs, media cache, URL fetcher).
 * A feature whose operations the product performs itself declares its own service in its own catalogue
 * file, as an optional member added to this interface there (`declare module './types'`, e.g. `handoffs`
 * in handoff.ts, `subscriptions` in subscriptions.ts), and checks it is there.
 */
export interface OperationServices {
  /**
   * Calls WeChat: one request with a valid token, retried as the client retries; errcode ≠ 0 throws.
   * `part` says which part of a split text the request is (delivery records name it).
   */
  wechat: {
    request(spec: WeChatRequestSpec, recipient?: string, part?: { part: number; parts: number }): Promise<WeChatResult>;
    /** The passthrough (`callApi`, core/passthrough.ts): any call on the API root, JSON or a file answered. */
    callApi?(input: PassthroughInput): Promise<WeChatResult | FileResult>;
  };
  /**
   * A split send's progress (docs/long-text.md): the parts an earlier try under the same idempotency key
   * sent (start after them), and what to do after each part went out. Absent in n8n's direct mode.
   */
  parts?: {
    /** The parts, as the entry's {@link Operation.parts} cut them once for the gate (the runner passes them on). */
    list?: readonly string[];
    from?: number;
    sent?(part: number, parts: number): Promise<void>;
  };
  /** The limits profile and delete form in force. */
  options: OperationOptions;
  /** The clock. */
  now(): number;
  /**
   * Where uploaded media are remembered by content (SHA-256 + type → media_id, for their 3 days), so the
   * same file sent again is not uploaded again. Absent (n8n direct mode): every file is uploaded.
   */
  mediaCache?: MediaCacheLike;
  /** Fetches a URL a caller gave for a file (SSRF-safe in the product). Absent: URLs are refused. */
  fetchUrl?: MediaFetcher;
  /**
   * Fetches a URL WeChat handed out (a video's video_url): any web scheme, the address checks kept, the
   * configured WeChat API base trusted (core/net fetchIssuedUrl). Absent: `fetchUrl` serves, its refusals as 502.
   */
  fetchIssuedUrl?: (url: string, options: { maxBytes: number; what: string }) => Promise<{ data: Uint8Array; filename?: string }>;
}

/** One entry of the catalogue. */
export interface Operation<I = any> {
  /** The operation's name: also its EventBridge detail-type and its Lambda's name suffix. */
  readonly name: string;
  readonly resource: Resource;
  /** The action within the resource, e.g. `add`, `send`: the n8n Operation option's value. */
  readonly action: string;
  /** A short title, e.g. "Send a text message". */
  readonly title: string;
  readonly description: string;
  readonly route: OperationRoute;
  /** The WeChat endpoint it calls, for documentation; absent when the product performs it itself. */
  readonly endpoint?: { method: 'GET' | 'POST'; path: string };
  /** How the input arrives over HTTP. */
  readonly input: InputSpec;
  /** Query-string parameters taken as input fields (path parameters always are). */
  readonly query?: readonly string[];
  /** The HTTP status of a success. Default 200; e.g. 201 for a create. */
  readonly successStatus?: number;
  /** What it answers. Default JSON. */
  readonly answer?: AnswerSpec;
  readonly gate: Gate<I>;
  /** The message type, for send operations bound to one type. */
  readonly msgtype?: string;
  /** Its function also consumes the bulk-send SQS queue (one input per message). At most one operation. */
  readonly consumesBulkQueue?: boolean;
  /** EventBridge events (detail-type = name) invoke it. Default true. */
  readonly acceptsEvents?: boolean;
  /**
   * Whether it needs nothing but WeChat (n8n's direct mode can run it). Default true; false for the
   * operations the product performs with its own state (subscriptions, deliveries, …): gateway mode only.
   */
  readonly direct?: boolean;
  /** The input fields, as data (n8n, console, docs). */
  readonly fields: readonly FieldSpec[];
  readonly needs: FunctionNeeds;
  readonly sizing?: Sizing;
  /** Validates and normalises an input; throws {@link ValidationError} naming each field and rule. */
  parse(input: unknown, options?: OperationOptions): I;
  /** Builds WeChat's request from a parsed input: the operation is this one call. */
  toRequest?(input: I, options?: OperationOptions): WeChatRequestSpec;
  /**
   * The texts a send goes out as (one, or a long text cut to the cap): their number is what the send gate
   * counts, and the runner hands them to {@link perform} as `services.parts.list`, so a text is cut once.
   * Absent: one send.
   */
  parts?(input: I, options: OperationOptions): readonly string[];
  /**
   * Performs the operation instead of {@link toRequest}: for operations the product performs itself (no
   * WeChat call) or that make several WeChat calls (paging, upload-then-send, split text).
   */
  perform?(input: I, services: OperationServices): Promise<OperationResult>;
  /**
   * Makes a parsed input ready BEFORE the gate: for work that may refuse the input (fetching a URL,
   * checking a file) or that must not count against a send window (uploading media). A refusal here costs
   * nothing; what it did (a cached upload) stays done if the gate or WeChat then refuses. The one runner
   * (core/runner/run.ts), which every surface uses, runs it before the gate.
   */
  prepare?(input: I, services: OperationServices): Promise<I>;
  /**
   * After the operation's WeChat call failed, an input to try ONCE more, or undefined to let the failure
   * stand: a send whose cached media_id WeChat refused (40007) re-uploads that file (catalogue/send-media.ts).
   * What it calls (uploads) is not the operation's call; the retry counts nothing more against the send
   * window. The one runner (core/runner/run.ts), which every surface uses, runs it through {@link runWithRecovery}.
   */
  recover?(error: unknown, input: I, services: OperationServices): Promise<I | undefined>;
}
