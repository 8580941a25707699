/**
 * The flags of `npm run doctor` (docs/doctor.md): `--callback-url URL`, `--secret-id ID`, `--api-url URL`,
 * `--region REGION` (each also as `--flag=value`), `--json`. Anything else is refused with its name and the known flags: a typo such as
 * `--secretid` used to be ignored, and the doctor then checked another configuration than the one meant.
 *
 * @example
 * ```ts
 * parseDoctorArgs(['--secret-id', 'arn:…', '--json']); // { secretId: 'arn:…', json: true }
 * parseDoctorArgs(['--secretid', 'x']); // throws DoctorArgsError: unknown flag --secretid
 * ```
 */

/** The flags the doctor knows, as the error and the docs list them. */
export const DOCTOR_FLAGS = '--callback-url URL, --secret-id ID, --api-url URL, --region REGION, --json';

/** What the flags say. */
export interface DoctorArgs {
  callbackUrl?: string;
  secretId?: string;
  /** A gateway (the local server, or the deployed stack's ApiUrl): every account it lists is checked (accounts.ts). */
  apiUrl?: string;
  /** Sign the gateway's requests with SigV4 for this region (an API on its own domain; an execute-api host names its own). */
  region?: string;
  json: boolean;
}

/** A flag the doctor does not know, or one without its value. */
export class DoctorArgsError extends Error {
  override readonly name = 'DoctorArgsError';
}

const WITH_VALUE = { '--callback-url': 'callbackUrl', '--secret-id': 'secretId', '--api-url': 'apiUrl', '--region': 'region' } as const;

/**
 * Reads the doctor's command-line arguments.
 *
 * @throws {DoctorArgsError} naming the unknown flag (or the flag missing its value) and the known ones.
 */
export function parseDoctorArgs(args: readonly string[]): DoctorArgs {
  const out: DoctorArgs = { json: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') {
      out.json = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = (WITH_VALUE as Record<string, 'callbackUrl' | 'secretId' | 'apiUrl' | 'region'>)[name];
    if (!key)
      throw new DoctorArgsError(
        `unknown ${arg.startsWith('-') ? 'flag' : 'argument'} ${JSON.stringify(name)}; the doctor knows ${DOCTOR_FLAGS}`,
      );
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--')))
      throw new DoctorArgsError(`${name} needs a value; the doctor knows ${DOCTOR_FLAGS}`);
    out[key] = value;
  }
  return out;
}
