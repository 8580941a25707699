/**
 * `npm run doctor`: checks a real WeChat configuration before production meets it (docs/doctor.md).
 *
 * Reads WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_API_BASE_URL, WECHAT_CALLBACK_TOKEN,
 * WECHAT_ENCODING_AES_KEY, WECHAT_CALLBACK_URL and SECRET_ID (the deployed stack's SecretArn output);
 * flags override them: `--callback-url URL`, `--secret-id ID`, `--json` (args.ts; any other flag is refused). With a secret and no
 * WECHAT_APP_ID, the deployed secret's values are the ones checked. With `--api-url URL` (or API_URL: the
 * local server, or the deployed stack's ApiUrl output, signed with SigV4) every account the gateway lists
 * is checked through it instead (accounts.ts). Exits 1 when a check fails. Never prints a secret.
 *
 * @example
 * ```sh
 * WECHAT_APP_ID=wx… WECHAT_APP_SECRET=… WECHAT_CALLBACK_TOKEN=… npm run doctor -- --callback-url https://…/callback
 * npm run doctor -- --secret-id arn:aws:secretsmanager:…   # the deployed stack's configuration
 * npm run doctor -- --api-url http://127.0.0.1:3000          # every account of the local server
 * ```
 */
import { formatAccountsReport, plainRequest, runAccountsDoctor, type GatewayRequest } from './accounts';
import { parseDoctorArgs } from './args';
import { behaviourSettingsOf } from './behaviour-checks';
import { formatReport, runDoctor, type DoctorInput } from './checks';

/** Reads the deployed secret; an error becomes the check's finding, never a crash. */
async function readSecret(id: string): Promise<NonNullable<DoctorInput['deployedSecret']>> {
  try {
    const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const client = new SecretsManagerClient({});
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: id }));
      return { id, value: out.SecretString ?? '' };
    } finally {
      client.destroy();
    }
  } catch (error) {
    const e = error as Error;
    return { id, error: `${e.name}: ${e.message}` };
  }
}

/** The region of a deployed API's host (`<id>.execute-api.<region>.amazonaws.com`), else undefined: a local server. */
function executeApiRegion(apiUrl: string): string | undefined {
  try {
    return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(new URL(apiUrl).hostname)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Requests to the gateway: signed with SigV4 by the default AWS credentials for a deployed API (its routes are
 * IAM-authorized, infra/README.md): an execute-api host names its region, an API on its own domain is given
 * one with --region. Plain for the local server.
 */
async function gatewayRequest(apiUrl: string, timeoutMs: number, regionFlag: string | undefined): Promise<GatewayRequest> {
  const region = regionFlag ?? executeApiRegion(apiUrl);
  if (!region) return plainRequest(timeoutMs);
  const [{ SignatureV4 }, { Sha256 }, { SecretsManagerClient }] = await Promise.all([
    import('@smithy/signature-v4'),
    import('@aws-crypto/sha256-js'),
    import('@aws-sdk/client-secrets-manager'),
  ]);
  // Any SDK client resolves the default credential chain (environment, profile, SSO, instance role).
  const client = new SecretsManagerClient({ region });
  const signer = new SignatureV4({ service: 'execute-api', region, credentials: client.config.credentials, sha256: Sha256 });
  return async (method, url) => {
    const u = new URL(url);
    const signed = await signer.sign({
      method,
      protocol: u.protocol,
      hostname: u.hostname,
      ...(u.port ? { port: Number(u.port) } : {}),
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      headers: { host: u.host },
    });
    return plainRequest(timeoutMs, async () => {
      // fetch sets Host itself (the same value, which was signed).
      const { host: _host, ...headers } = signed.headers as Record<string, string>;
      return headers;
    })(method, url);
  };
}

async function main(): Promise<void> {
  const args = parseDoctorArgs(process.argv.slice(2));
  const env = process.env;
  const apiUrl = args.apiUrl ?? (env.API_URL || undefined);
  if (apiUrl) {
    const callbackUrl = args.callbackUrl ?? (env.WECHAT_CALLBACK_URL || undefined);
    const report = await runAccountsDoctor({
      apiUrl,
      // The deployed stack's CallbackUrl is …/callback: each account's callbackPath is put after its origin and stage.
      callbackBase: callbackUrl?.replace(/\/callback\/?$/, ''),
      request: await gatewayRequest(apiUrl, 10_000, args.region),
    });
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else console.log(`WeChat doctor: checking every account of ${apiUrl}\n\n${formatAccountsReport(report)}`);
    process.exitCode = report.ok ? 0 : 1;
    return;
  }
  const secretId = args.secretId ?? (env.SECRET_ID || undefined);
  const deployedSecret = secretId ? await readSecret(secretId) : undefined;
  let fromSecret: Record<string, unknown> = {};
  if (deployedSecret?.value && !env.WECHAT_APP_ID) {
    try {
      fromSecret = JSON.parse(deployedSecret.value) as Record<string, unknown>;
    } catch {
      fromSecret = {};
    }
  }
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const input: DoctorInput = {
    appId: env.WECHAT_APP_ID || str(fromSecret.appId),
    appSecret: env.WECHAT_APP_SECRET || str(fromSecret.appSecret),
    apiBaseUrl: env.WECHAT_API_BASE_URL || undefined,
    callbackToken: env.WECHAT_CALLBACK_TOKEN || str(fromSecret.callbackToken),
    encodingAesKey: env.WECHAT_ENCODING_AES_KEY || str(fromSecret.encodingAesKey),
    callbackUrl: args.callbackUrl ?? (env.WECHAT_CALLBACK_URL || undefined),
    replyMode: env.REPLY_MODE || undefined,
    deployedSecret,
    behaviour: behaviourSettingsOf(env),
  };
  const report = await runDoctor(input);
  if (args.json) console.log(JSON.stringify(report, null, 2));
  else {
    const where = deployedSecret && !env.WECHAT_APP_ID ? `the deployed secret ${secretId}` : 'this environment';
    console.log(
      `WeChat doctor: checking ${where}${input.appId ? ` (AppID ${input.appId})` : ''} against ${input.apiBaseUrl ?? 'https://api.weixin.qq.com'}\n`,
    );
    console.log(formatReport(report));
  }
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(`doctor: ${(error as Error)?.message ?? String(error)}`);
  // A wrong flag (args.ts) ends here too: exit 2, nothing checked.
  process.exit(2);
});
