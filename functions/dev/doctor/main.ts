/**
 * `npm run doctor`: checks a real WeChat configuration before production meets it (docs/doctor.md).
 *
 * Reads WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_API_BASE_URL, WECHAT_CALLBACK_TOKEN,
 * WECHAT_ENCODING_AES_KEY, WECHAT_CALLBACK_URL and SECRET_ID (the deployed stack's SecretArn output);
 * flags override them: `--callback-url URL`, `--secret-id ID`, `--json` (args.ts; any other flag is refused). With a secret and no
 * WECHAT_APP_ID, the deployed secret's values are the ones checked. Exits 1 when a check fails. Never
 * prints a secret.
 *
 * @example
 * ```sh
 * WECHAT_APP_ID=wx… WECHAT_APP_SECRET=… WECHAT_CALLBACK_TOKEN=… npm run doctor -- --callback-url https://…/callback
 * npm run doctor -- --secret-id arn:aws:secretsmanager:…   # the deployed stack's configuration
 * ```
 */
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

async function main(): Promise<void> {
  const args = parseDoctorArgs(process.argv.slice(2));
  const env = process.env;
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
