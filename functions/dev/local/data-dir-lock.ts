/**
 * One `npm start` per DATA_DIR. The embedded DynamoDB (LevelDB) and the sandbox's state file can be held
 * by one process only; a second start used to crash with dynalite's stack trace. The first start writes
 * its process id to `DATA_DIR/npm-start.pid` (created exclusively); a second one reads it and says which
 * process holds the folder. A file left by a process that no longer runs (a crash, kill -9) is taken over.
 *
 * @example
 * ```ts
 * const release = lockDataDir('.data'); // throws DataDirInUseError naming the PID
 * // ...
 * release();
 * ```
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { ConfigurationError } from '../../core/errors';

/** The file that names the process holding a DATA_DIR. */
export const LOCK_FILE = 'npm-start.pid';

/** Another process (named) already runs `npm start` on this DATA_DIR. */
export class DataDirInUseError extends ConfigurationError {
  readonly pid: number;
  constructor(dir: string, pid: number) {
    super(
      `DATA_DIR ${resolve(dir)} is in use by process ${pid}${pid === process.pid ? ' (this process)' : ''} (another npm start): ` +
        `stop that one first, or give this one another folder with DATA_DIR=<folder>`,
    );
    this.pid = pid;
  }
}

function running(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the folder for this process, or throws {@link DataDirInUseError} naming the process that holds it.
 *
 * @returns a function that gives the folder back (removes the file, if it is still ours).
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // Already gone.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = NaN;
      try {
        holder = Number(readFileSync(file, 'utf8').trim());
      } catch {
        // Removed meanwhile: try again.
      }
      if (running(holder)) throw new DataDirInUseError(dir, holder);
      // Left by a process that is gone: take it over.
      try {
        unlinkSync(file);
      } catch {
        // Someone else took it over first; the next attempt says so.
      }
    }
  }
  throw new ConfigurationError(`DATA_DIR ${resolve(dir)}: could not take ${LOCK_FILE}; another npm start may be starting`);
}
