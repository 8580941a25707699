/**
 * The one reader of on/off settings (docs/configuration.md): every boolean variable — `TOKEN_VENDING`,
 * `DELIVERY_RECORD_CONTENT`, `MEDIA_URL_ALLOW_PRIVATE` — takes the same words, and a value that is none of
 * them stops the product with the variable's name instead of silently meaning "off" (`yes` once meant
 * false for one variable while `maybe` stopped `npm start` for another).
 *
 * @example
 * ```ts
 * readFlag({ TOKEN_VENDING: 'on' }, 'TOKEN_VENDING'); // true
 * readFlag({}, 'DELIVERY_RECORD_CONTENT'); // false (the default)
 * readFlag({ MEDIA_URL_ALLOW_PRIVATE: 'maybe' }, 'MEDIA_URL_ALLOW_PRIVATE'); // throws ConfigurationError
 * ```
 */
import { ConfigurationError } from './errors';

const ON = ['true', '1', 'yes', 'on'] as const;
const OFF = ['false', '0', 'no', 'off'] as const;

/** The words a flag accepts, for error messages and docs. */
export const FLAG_WORDS = 'true/false, 1/0, yes/no or on/off';

/**
 * Reads an on/off variable: `true`, `1`, `yes`, `on` (any case) are on; `false`, `0`, `no`, `off` are off;
 * absent or empty is `fallback`.
 *
 * @throws {ConfigurationError} naming the variable and the accepted words, for any other value.
 */
export function readFlag(env: NodeJS.ProcessEnv, name: string, fallback = false): boolean {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const value = raw.trim().toLowerCase();
  if (value === '') return fallback;
  if ((ON as readonly string[]).includes(value)) return true;
  if ((OFF as readonly string[]).includes(value)) return false;
  throw new ConfigurationError(`${name} must be ${FLAG_WORDS}, got ${JSON.stringify(raw)}`);
}
