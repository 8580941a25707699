/**
 * `npm run sandbox`: the WeChat stand-in on its own, for trying the product by hand.
 *
 * Environment: PORT or SANDBOX_PORT (default 3100); WECHAT_APP_ID, WECHAT_APP_SECRET (the credentials
 * it accepts); SANDBOX_CALLBACK_URL with WECHAT_CALLBACK_TOKEN and optionally WECHAT_ENCODING_AES_KEY
 * (safe mode) to push simulated users' messages to a server; SANDBOX_CALLBACK_MODE (plain | safe |
 * compatible), SANDBOX_CALLBACK_FORMAT (xml | json), SANDBOX_RULES (current | seed), SANDBOX_WECHAT_ID;
 * SANDBOX_ACCOUNTS, more official accounts (accounts.ts; docs/configuration.md), each pushing to
 * `<SANDBOX_CALLBACK_URL>/<appId>` (the product's `/callback/<appId>`) signed with its own token (default
 * WECHAT_CALLBACK_TOKEN) and encrypted with its own key (default WECHAT_ENCODING_AES_KEY).
 * Ctrl-C stops it.
 */
import { parseSandboxAccounts, type SandboxAccountEntry } from './accounts';
import { startSandbox } from './server';
import type { CallbackConfig, SandboxAccountOptions, SandboxOptions } from './types';

/**
 * An extra account's options: its push target is its own `callbackUrl`, else `<SANDBOX_CALLBACK_URL>/<appId>`,
 * with its own token and key, else the first account's; none without a URL or a token.
 */
function accountOptions(entry: SandboxAccountEntry, env: NodeJS.ProcessEnv): SandboxAccountOptions {
  const base = env.SANDBOX_CALLBACK_URL?.replace(/\/+$/, '');
  const url = entry.callbackUrl ?? (base ? `${base}/${encodeURIComponent(entry.appId)}` : undefined);
  const token = entry.callbackToken ?? env.WECHAT_CALLBACK_TOKEN;
  const encodingAesKey = entry.encodingAesKey ?? (env.WECHAT_ENCODING_AES_KEY || undefined);
  return {
    appId: entry.appId,
    appSecret: entry.appSecret,
    ...(entry.ghId ? { ghId: entry.ghId } : {}),
    ...(entry.wechatId ? { wechatId: entry.wechatId } : {}),
    ...(url && token
      ? {
          callback: {
            url,
            token,
            ...(encodingAesKey ? { encodingAesKey } : {}),
            ...(env.SANDBOX_CALLBACK_MODE ? { mode: env.SANDBOX_CALLBACK_MODE as CallbackConfig['mode'] } : {}),
            ...(env.SANDBOX_CALLBACK_FORMAT ? { format: env.SANDBOX_CALLBACK_FORMAT as CallbackConfig['format'] } : {}),
          },
        }
      : {}),
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.PORT ?? env.SANDBOX_PORT ?? 3100);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT / SANDBOX_PORT must be a port number');
  let callback: CallbackConfig | undefined;
  if (env.SANDBOX_CALLBACK_URL) {
    if (!env.WECHAT_CALLBACK_TOKEN) throw new Error('SANDBOX_CALLBACK_URL needs WECHAT_CALLBACK_TOKEN');
    callback = {
      url: env.SANDBOX_CALLBACK_URL,
      token: env.WECHAT_CALLBACK_TOKEN,
      ...(env.WECHAT_ENCODING_AES_KEY ? { encodingAesKey: env.WECHAT_ENCODING_AES_KEY } : {}),
      ...(env.SANDBOX_CALLBACK_MODE ? { mode: env.SANDBOX_CALLBACK_MODE as CallbackConfig['mode'] } : {}),
      ...(env.SANDBOX_CALLBACK_FORMAT ? { format: env.SANDBOX_CALLBACK_FORMAT as CallbackConfig['format'] } : {}),
    };
  }
  const options: SandboxOptions = {
    port,
    quiet: false,
    ...(env.WECHAT_APP_ID ? { appId: env.WECHAT_APP_ID } : {}),
    ...(env.WECHAT_APP_SECRET ? { appSecret: env.WECHAT_APP_SECRET } : {}),
    ...(env.SANDBOX_RULES ? { rules: env.SANDBOX_RULES as SandboxOptions['rules'] } : {}),
    ...(env.SANDBOX_WECHAT_ID ? { wechatId: env.SANDBOX_WECHAT_ID } : {}),
    ...(callback ? { callback } : {}),
    accounts: parseSandboxAccounts(env.SANDBOX_ACCOUNTS).map((entry) => accountOptions(entry, env)),
  };
  const sandbox = await startSandbox(options);
  // The secret is printed only when it is the sandbox's own default, never one taken from the environment.
  const secret = env.WECHAT_APP_SECRET ? '(from WECHAT_APP_SECRET)' : sandbox.appSecret;
  console.log(`WeChat sandbox listening on ${sandbox.url}`);
  console.log(`  appid:  ${sandbox.appId}`);
  console.log(`  secret: ${secret}`);
  console.log(`  rules:  ${options.rules ?? 'current'}; kf_account suffix @${options.wechatId ?? 'sandbox'}`);
  console.log(
    `  pushes: ${callback ? `${callback.url} (${callback.mode ?? (callback.encodingAesKey ? 'safe' : 'plain')})` : 'none (set SANDBOX_CALLBACK_URL and WECHAT_CALLBACK_TOKEN)'}`,
  );
  for (const appId of sandbox.appIds.slice(1)) {
    const info = sandbox.account(appId);
    // Never its secret: it came from SANDBOX_ACCOUNTS.
    const cb = options.accounts?.find((a) => a.appId === appId)?.callback;
    console.log(
      `  account ${appId} (ToUserName ${info.ghId}, kf_account suffix @${info.wechatId}): pushes ${cb ? cb.url : 'none'}; control routes take ?appId=${appId}`,
    );
  }
  console.log(`Try: open the console, ${sandbox.url}/console/ (a user's phone, WeChat's view of the window, the log), or:`);
  console.log(`  curl -X POST ${sandbox.url}/sandbox/users/o_demo_user/messages -H 'content-type: application/json' -d '{"content":"hi"}'`);
  console.log(`  curl ${sandbox.url}/sandbox/messages`);
  console.log(`  curl ${sandbox.url}/sandbox   # every control route`);
  console.log('Ctrl-C stops it.');

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    sandbox.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`sandbox: ${(error as Error)?.message ?? String(error)}`);
  process.exit(1);
});
