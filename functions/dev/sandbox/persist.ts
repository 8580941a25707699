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
import type { SandboxState, SavedState } from './state';
import type { SavedTokens, TokenAuthority } from './tokens';

interface SavedFile {
  version: 1;
  appId: string;
  state: SavedState;
  tokens: SavedTokens;
  /** The temporary media held, without their bytes (those are in {@link mediaDir}). */
  media?: Array<Omit<StoredMedia, 'data'>>;
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
  const dir = mediaDir(file);
  const media = mediaOf(state);
  for (const meta of saved.media ?? []) {
    if (!SAFE_MEDIA_ID.test(meta.media_id) || state.now() - meta.createdAt >= MEDIA_LIFETIME_MS || !existsSync(join(dir, meta.media_id)))
      continue;
    media.restore({ ...meta, data: readFileSync(join(dir, meta.media_id)) });
  }
  return true;
}

/** Saves the sandbox's memory (see the module comment). */
export function saveSandbox(file: string, appId: string, state: SandboxState, tokens: TokenAuthority): void {
  const held = mediaOf(state)
    .list()
    .filter((m) => SAFE_MEDIA_ID.test(m.media_id) && state.now() - m.createdAt < MEDIA_LIFETIME_MS);
  const saved: SavedFile = {
    version: 1,
    appId,
    state: state.toSaved(),
    tokens: tokens.toSaved(),
    media: held.map(({ data: _data, ...meta }) => meta),
  };
  mkdirSync(dirname(file), { recursive: true });
  // The bytes first, so the list never names a media_id whose file is not there yet.
  const dir = mediaDir(file);
  const onDisk = writtenIn(dir);
  const keep = new Set<string>();
  for (const m of held) {
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
