/**
 * DATA_DIR holds the live access token (in the embedded DynamoDB's files), the webhook key and the
 * sandbox's state: only the user running `npm start` may read it (docs/configuration.md, "DATA_DIR").
 *
 * - The folder is created 0700, and an existing one (from an earlier version, or made by hand) is set to
 *   0700 with its folders 0700 and files 0600: a folder others cannot enter keeps every file in it private.
 * - While the product runs, the process creates files 0600 and folders 0700 (umask 077): LevelDB (dynalite,
 *   through classic-level's native code) writes new table and log files as it compacts, with the process's
 *   umask and no mode of its own; the umask is the one setting that reaches them. In a worker thread,
 *   where Node cannot change the umask, the folder's 0700 still stands in for it.
 *
 * @example
 * ```ts
 * const restore = privateDataDir('.data'); // .data is 0700, its files 0600
 * // ... start the embedded DynamoDB under .data ...
 * restore(); // the umask as it was, every file 0600 again
 * ```
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'fs';
import { join } from 'path';
import { isMainThread } from 'worker_threads';

/** The umask that makes new files 0600 and new folders 0700. */
const PRIVATE_UMASK = 0o077;

/** Sets every folder under `dir` (itself included) to 0700 and every file to 0600; links are left alone. */
export function makeTreePrivate(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makeTreePrivate(path);
    else if (entry.isFile() && (lstatSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  }
}

/**
 * Makes `dir` private as the module comment says and sets the umask for the files to come.
 *
 * @returns restores the umask as it was and makes the tree private again (the files written meanwhile).
 */
export function privateDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  makeTreePrivate(dir);
  const previous = isMainThread ? process.umask(PRIVATE_UMASK) : undefined;
  return () => {
    if (previous !== undefined) process.umask(previous);
    try {
      makeTreePrivate(dir);
    } catch {
      // The folder was removed meanwhile (a test's cleanup): nothing to protect.
    }
  };
}
