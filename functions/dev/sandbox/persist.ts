/**
 * The sandbox's memory on disk, so that "data stays for the next start" holds for the WeChat stand-in as
 * it does for the product's table: users and their windows, kf accounts (with avatars), accepted messages
 * and typing, MsgIds, and the access tokens it issued. Without it, a restarted `npm start` said
 * `canSend: true` (the product remembered the user) while the sandbox had forgotten them (40003).
 *
 * One JSON file, written whole after every change (to a temporary file, then renamed, so a crash never
 * leaves half a file). Temporary media live their 3 days across a restart too, as in WeChat (the product's
 * media cache remembers a media_id that long and would otherwise hand out one the sandbox had forgotten):
 * the file lists them, and their bytes are kept one file per media_id in the `sandbox-media` folder beside
 * it, written once when the media is new and removed when the sandbox no longer holds it. Recorded
 * requests, counts, faults and the other areas' state are not kept: they describe one run.
 *
 * @example
 * ```ts
 * const sandbox = await startSandbox({ stateFile: '.data/sandbox.json' });
 * ```
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SandboxUsageError } from './errcodes';
import { MEDIA_LIFETIME_MS, mediaOf, type StoredMedia } from './media';
import type { SandboxAccount } from './accounts';
import type { SavedState } from './state';
import type { SavedTokens } from './tokens';

/** One account's memory. */
interface SavedAccount {
  appId: string;
  state: SavedState;
  tokens: SavedTokens;
  /** The temporary media held, without their bytes (those are in {@link mediaDir}). */
  media?: Array<Omit<StoredMedia, 'data'>>;
}

/** The first account's memory at the top (the file as it was with one account), the others' in `accounts`. */
interface SavedFile extends SavedAccount {
  version: 1;
  accounts?: SavedAccount[];
}

/** Where the bytes of the media are kept: a folder beside the state file. */
export function mediaDir(file: string): string {
  return join(dirname(file), 'sandbox-media');
}

/** A media_id as a file name: the sandbox's own ids are letters, digits, _ and - only. */
const SAFE_MEDIA_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The media files on disk, by folder, so a save lists the folder once per process, not on every request. */
const written = new Map<string, Set<string>>();

function writtenIn(dir: string): Set<string> {
  let ids = written.get(dir);
  if (!ids) {
    ids = new Set(existsSync(dir) ? readdirSync(dir) : []);
    written.set(dir, ids);
  }
  return ids;
}

/**
 * Loads a saved sandbox into the accounts (the first one first), when the file exists and was saved for
 * the first one's AppID; each other account takes back what was saved under its AppID, if anything.
 *
 * @throws {SandboxUsageError} when the file is not a saved sandbox (naming the file).
 */
export function loadSandbox(file: string, accounts: readonly SandboxAccount[]): boolean {
  if (!existsSync(file)) return false;
  let saved: SavedFile;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as SavedFile;
  } catch (error) {
    throw new SandboxUsageError(`${file} is not a saved sandbox (${(error as Error).message}); delete it to start afresh`);
  }
  const [first, ...others] = accounts;
  if (!first || saved?.version !== 1 || saved.appId !== first.appId) return false;
  restoreAccount(file, first, saved);
  for (const account of others) {
    const mine = (saved.accounts ?? []).find((a) => a?.appId === account.appId);
    if (mine) restoreAccount(file, account, mine);
  }
  return true;
}

function restoreAccount(file: string, account: SandboxAccount, saved: SavedAccount): void {
  const { state, tokens } = account;
  state.restore(saved.state);
  tokens.restore(saved.tokens);
  const dir = mediaDir(file);
  const media = mediaOf(state);
  for (const meta of saved.media ?? []) {
    if (!SAFE_MEDIA_ID.test(meta.media_id) || state.now() - meta.createdAt >= MEDIA_LIFETIME_MS || !existsSync(join(dir, meta.media_id)))
      continue;
    media.restore({ ...meta, data: readFileSync(join(dir, meta.media_id)) });
  }
}

/** Saves the sandbox's memory, every account's (see the module comment). */
export function saveSandbox(file: string, accounts: readonly SandboxAccount[]): void {
  const heldOf = (account: SandboxAccount) =>
    mediaOf(account.state)
      .list()
      .filter((m) => SAFE_MEDIA_ID.test(m.media_id) && account.state.now() - m.createdAt < MEDIA_LIFETIME_MS);
  const held = accounts.map(heldOf);
  const savedOf = (account: SandboxAccount, i: number): SavedAccount => ({
    appId: account.appId,
    state: account.state.toSaved(),
    tokens: account.tokens.toSaved(),
    media: (held[i] ?? []).map(({ data: _data, ...meta }) => meta),
  });
  const [first, ...others] = accounts;
  if (!first) return;
  const saved: SavedFile = {
    version: 1,
    ...savedOf(first, 0),
    ...(others.length > 0 ? { accounts: others.map((a, i) => savedOf(a, i + 1)) } : {}),
  };
  mkdirSync(dirname(file), { recursive: true });
  // The bytes first, so the list never names a media_id whose file is not there yet.
  const dir = mediaDir(file);
  const onDisk = writtenIn(dir);
  const keep = new Set<string>();
  for (const m of held.flat()) {
    keep.add(m.media_id);
    if (onDisk.has(m.media_id)) continue;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, m.media_id), m.data);
    onDisk.add(m.media_id);
  }
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(saved));
  renameSync(temporary, file);
  // Then the files of media no longer held (forgotten, expired, the sandbox reset).
  for (const id of onDisk) {
    if (keep.has(id)) continue;
    rmSync(join(dir, id), { force: true });
    onDisk.delete(id);
  }
}
