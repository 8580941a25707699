/**
 * `npm start`: the whole product on 127.0.0.1:PORT (default 3000). See design.md for the variables.
 */
import './quiet';
import { SANDBOX_CALLBACK_TOKEN, startLocal } from './server';

async function main() {
  const product = await startLocal({ sandboxPort: Number(process.env.SANDBOX_PORT ?? 3100) });
  const { url, sandbox } = product;
  const lines = [
    `WeChat customer-service API listening on ${url}`,
    `  DynamoDB: ${process.env.DYNAMODB_ENDPOINT ?? `embedded, data in ${process.env.DATA_DIR ?? '.data'}/dynamodb`}; table ${product.context.config.tableName}`,
    `  window policy ${product.context.config.windowPolicy}, rules ${product.context.config.windowRules}, token mode ${product.context.config.tokenMode}`,
    '',
    'Routes:',
    ...product.routes.map((r) => `  ${r}`),
    '',
  ];
  if (sandbox) {
    lines.push(
      `Sandbox mode (no WECHAT_APP_ID / WECHAT_APP_SECRET set): WeChat is simulated by the sandbox at ${sandbox.url}`,
      `  it pushes users' messages to ${url}/callback, signed with token ${product.context.secrets.callbackToken === SANDBOX_CALLBACK_TOKEN ? SANDBOX_CALLBACK_TOKEN : '(WECHAT_CALLBACK_TOKEN)'}`,
      '',
      `Try it: open the console, ${url}/console/ (a WeChat user's phone, the send window, every operation), or in a terminal:`,
      `  1. a user writes in:   curl -s -X POST ${sandbox.url}/sandbox/users/oUser1/messages -H 'content-type: application/json' -d '{"content":"hello"}'`,
      `  2. reply within 48 h:  curl -s -X POST ${url}/messages -H 'content-type: application/json' -d '{"touser":"oUser1","msgtype":"text","text":{"content":"Hi! How can we help?"}}'`,
      `  3. the window state:   curl -s ${url}/interactions/oUser1`,
      `  4. what WeChat got:    curl -s '${sandbox.url}/sandbox/messages?openid=oUser1'`,
      '',
    );
  } else {
    lines.push(`Calling WeChat at ${product.context.config.apiBaseUrl} as ${product.context.secrets.appId}`, `  the console: ${url}/console/ (every operation, the doctor); npm run doctor checks this configuration`, '');
  }
  lines.push('Ctrl-C stops it; data stays for the next start.');
  console.log(lines.join('\n'));

  product.events.onEvent((event) => {
    const message = event.detail.message as Record<string, unknown>;
    console.log(`[inbound] ${event.detailType} from ${String(event.detail.openid)}${message.Content ? `: ${String(message.Content)}` : ''}`);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    await product.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  console.error(`npm start failed: ${(error as Error).message}`);
  process.exit(1);
});
