/**
 * Where a function's official-account secrets come from: Secrets Manager when it is deployed with one
 * (`SECRET_ID`, read through Powertools parameters and cached for 5 minutes), otherwise the environment
 * (running locally), or only the app id for a function deployed without the secret (it calls no WeChat
 * API). In a file of its own so that a function building only part of the handler context (the token
 * refresher, the interactions function) reads its secrets exactly as the others do.
 *
 * @example
 * ```ts
 * const secrets = await lambdaSecrets(configFromEnv())();
 * secrets.appId; // 'wx...'
 * ```
 */
import { checkSecrets, type AppConfig, type WeChatSecrets } from './config';

/** The secrets of a deployed function (see the module comment); loaded when the returned function is called. */
export function lambdaSecrets(config: AppConfig): () => Promise<WeChatSecrets> {
  return async () => {
    // A function deployed without the secret (it calls no WeChat API) knows only the app id.
    if (!config.secretId && !process.env.WECHAT_APP_SECRET) return { appId: process.env.WECHAT_APP_ID ?? '', appSecret: '' };
    if (!config.secretId) return localSecretsFromEnv();
    const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
    const value = await getSecret(config.secretId, { transform: 'json', maxAge: 300 });
    return checkSecrets(value, `the secret ${config.secretId}`);
  };
}

/**
 * The secrets from WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_CALLBACK_TOKEN, WECHAT_ENCODING_AES_KEY.
 *
 * @example
 * ```ts
 * const secrets = localSecretsFromEnv({ WECHAT_APP_ID: 'wx1', WECHAT_APP_SECRET: 's' });
 * ```
 */
export function localSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): WeChatSecrets {
  return checkSecrets(
    {
      appId: env.WECHAT_APP_ID,
      appSecret: env.WECHAT_APP_SECRET,
      callbackToken: env.WECHAT_CALLBACK_TOKEN || undefined,
      encodingAesKey: env.WECHAT_ENCODING_AES_KEY || undefined,
    },
    'the environment (WECHAT_APP_ID, WECHAT_APP_SECRET)',
  );
}
