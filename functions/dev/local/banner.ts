/**
 * What `npm start` prints when it is ready: where it listens, the data folder, the send window in users'
 * words ("5 replies within 48 h"), the reply mode, the callback mode, the routes and, in sandbox mode, what to try.
 *
 * @example
 * ```ts
 * console.log(bannerLines(await startLocal(), process.env).join('\n'));
 * ```
 */
import { SANDBOX_CALLBACK_TOKEN, type LocalProduct } from './server';

/** The send window in the words users know, per WINDOW_RULES. */
const RULES_IN_WORDS = {
  current: "5 replies within 48 h of a user's message; 3 within 1 minute of a menu click, follow or QR scan",
  seed: "the 2017 rule: replies without a count for 48 h after the user's last interaction",
} as const;

/** How users are answered, per REPLY_MODE (docs/passive-replies.md). */
const REPLY_MODE_IN_WORDS = {
  'customer-service': " (custom/send; passive or auto answer inside WeChat's push: POST /replies)",
  passive: ": answers go inside WeChat's push (POST /replies), late ones answer the user's next message",
  auto: ": answers go inside WeChat's push (POST /replies) when in time, else by custom/send",
} as const;

/** Turns and the conversation history, when on (docs/turns.md, docs/conversations.md). */
function turnLines(product: LocalProduct): string[] {
  const { turns, conversationRecord } = product.context.config;
  const lines: string[] = [];
  if (turns) {
    lines.push(
      `  turns: on (TURN_QUIET_MS=${turns.quietMs}): a user's messages become one turn.ready after ${turns.quietMs} ms of quiet, ` +
        `${turns.maxWaitMs} ms after the first or at ${turns.maxMessages} messages` +
        (turns.limitPerHour ? `; turn.limited over ${turns.limitPerHour} an hour` : '') +
        (turns.typing ? '; typing while a turn is open' : ''),
    );
  }
  if (conversationRecord) lines.push('  conversation history: on (CONVERSATION_RECORD=true): GET /conversations/{openid}, 30 days');
  return lines;
}

/**
 * The sandbox's other official accounts (SANDBOX_ACCOUNTS), each added to the product: where it pushes and
 * how to act for it; without any, how to have some (docs/accounts.md).
 */
function sandboxAccountLines(product: LocalProduct, others: readonly string[]): string[] {
  if (others.length === 0)
    return ['  one official account; SANDBOX_ACCOUNTS=wx…:secret[,…] hosts more, each added here (GET /accounts, docs/accounts.md)'];
  const [first] = others;
  return [
    `  and ${others.length} more official account${others.length > 1 ? 's' : ''} (SANDBOX_ACCOUNTS), each added here (GET /accounts):`,
    ...others.map(
      (appId) => `    ${appId}: pushes to ${product.url}/callback/${appId}; act for it under ${product.url}/accounts/${appId}/…`,
    ),
    `    its users write in with ?appId=, e.g. curl -s -X POST '${product.sandbox!.url}/sandbox/users/oUser1/messages?appId=${first}' -H 'content-type: application/json' -d '{"content":"hello"}'`,
  ];
}

/** The banner's lines. */
export function bannerLines(product: LocalProduct, env: NodeJS.ProcessEnv): string[] {
  const { url, sandbox } = product;
  const lines = [
    `WeChat customer-service API listening on ${url}`,
    `  DynamoDB: ${env.DYNAMODB_ENDPOINT ?? `embedded, data in ${product.dataDir}/dynamodb`}; table ${product.context.config.tableName}`,
    `  send window (WINDOW_RULES=${product.context.config.windowRules}): ${RULES_IN_WORDS[product.context.config.windowRules]}; WINDOW_POLICY=${product.context.config.windowPolicy}`,
    `  replies: REPLY_MODE=${product.context.config.passive.replyMode}${REPLY_MODE_IN_WORDS[product.context.config.passive.replyMode]}`,
    `  callback: ${product.callbackMode} mode (${product.callbackMode === 'plain' ? 'signed pushes, each accepted once; set WECHAT_ENCODING_AES_KEY for safe mode' : 'only encrypted pushes, checked with WECHAT_ENCODING_AES_KEY'}; WECHAT_CALLBACK_MODE); token mode ${product.context.config.tokenMode} (TOKEN_MODE)`,
    ...turnLines(product),
    '',
    'Routes:',
    ...product.routes.map((r) => `  ${r}`),
    '',
  ];
  if (sandbox) {
    lines.push(
      `Sandbox mode (no WECHAT_APP_ID / WECHAT_APP_SECRET set): WeChat is simulated by the sandbox at ${sandbox.url}`,
      `  it pushes users' messages to ${url}/callback, signed with token ${product.context.secrets.callbackToken === SANDBOX_CALLBACK_TOKEN ? SANDBOX_CALLBACK_TOKEN : '(WECHAT_CALLBACK_TOKEN)'}`,
      // WeChat refuses (61452) a kf account not named prefix@<the account's WeChat ID>: say which ID that is here.
      `  its official account's WeChat ID is ${sandbox.wechatId}: name kf accounts prefix@${sandbox.wechatId} (e.g. agent1@${sandbox.wechatId})`,
      ...sandboxAccountLines(product, sandbox.appIds.slice(1)),
      '',
      `Try it: open the console, ${url}/console/ (a WeChat user's phone, the send window, every operation), or in a terminal:`,
      `  1. a user writes in:   curl -s -X POST ${sandbox.url}/sandbox/users/oUser1/messages -H 'content-type: application/json' -d '{"content":"hello"}'`,
      `  2. reply (5 replies within 48 h): curl -s -X POST ${url}/messages -H 'content-type: application/json' -d '{"touser":"oUser1","msgtype":"text","text":{"content":"Hi! How can we help?"}}'`,
      `  3. the window state:   curl -s ${url}/interactions/oUser1`,
      `  4. what WeChat got:    curl -s '${sandbox.url}/sandbox/messages?openid=oUser1'`,
      '',
    );
  } else {
    lines.push(
      `Calling WeChat at ${product.context.config.apiBaseUrl} as ${product.context.secrets.appId}`,
      `  the console: ${url}/console/ (every operation, the doctor); npm run doctor checks this configuration`,
      '',
    );
  }
  lines.push('Ctrl-C stops it; data stays for the next start.');
  return lines;
}
