/**
 * The sandbox's memory on disk, so that "data stays for the next start" holds for the WeChat stand-in as
 * it does for the product's table: users and their windows, kf accounts (with avatars), accepted messages
 * and typing, MsgIds, and the access tokens it issued. Without it, a restarted `npm start` said
 * `canSend: true` (the product remembered the user) while the sandbox had forgotten them (40003).
 *
 * One JSON file, written whole after every change (to a temporary file, then renamed, so a crash never
 * leaves half a file). Recorded requests, counts, faults and the extra areas' state are not kept: they
 * describe one run.
 *
 * @example
 * ```ts
 * const sandbox = await startSandbox({ stateFile: '.data/sandbox.json' });
 * ```
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SandboxUsageError } from './errcodes';
import type { SandboxState, SavedState } from './state';
import type { SavedTokens, TokenAuthority } from './tokens';

interface SavedFile {
  version: 1;
  appId: string;
  state: SavedState;
  tokens: SavedTokens;
}

/**
 * Loads a saved sandbox into `state` and `tokens`, when the file exists and was saved for this AppID.
 *
 * @throws {SandboxUsageError} when the file is not a saved sandbox (naming the file).
 */
export function loadSandbox(file: string, appId: string, state: SandboxState, tokens: TokenAuthority): boolean {
  if (!existsSync(file)) return false;
  let saved: SavedFile;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as SavedFile;
  } catch (error) {
    throw new SandboxUsageError(`${file} is not a saved sandbox (${(error as Error).message}); delete it to start afresh`);
  }
  if (saved?.version !== 1 || saved.appId !== appId) return false;
  state.restore(saved.state);
  tokens.restore(saved.tokens);
  return true;
}

/** Saves the sandbox's memory (see the module comment). */
export function saveSandbox(file: string, appId: string, state: SandboxState, tokens: TokenAuthority): void {
  const saved: SavedFile = { version: 1, appId, state: state.toSaved(), tokens: tokens.toSaved() };
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(saved));
  renameSync(temporary, file);
}
