/**
 * `npm run doctor` as a user runs it: a process of its own (tsx, functions/dev/doctor/main.ts) with only the
 * environment given (and PATH), killed after a minute; its output and exit code.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * Runs the doctor's command line and answers its exit code and what it printed (stdout and stderr).
 *
 * @example
 * ```ts
 * const { code, out } = await runDoctorCli(['--api-url', product.url]);
 * ```
 */
export function runDoctorCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'functions', 'dev', 'doctor', 'main.ts'), ...args],
      {
        env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}
