/**
 * Closes the LevelDB iterators dynalite leaves open (docs/memory.md).
 *
 * dynalite 4.0.0 turns abstract-level's iterators into Node streams (its db/index.js, `createValueStream`
 * and `createKeyStream`) and, when a stream is destroyed (at its end, or early when a Query stops at its
 * Limit), releases the iterator with `iterator.return()`. abstract-level 3's iterators have no `return`:
 * they have `close()`. So the release is skipped, every Query, Scan and GetItem-by-stream keeps one
 * iterator (and the native LevelDB snapshot behind it) attached to the database until it closes, and
 * `npm start` grew by about 17 KB per send (issue 28, item 12).
 *
 * The fix gives abstract-level's iterators the `return()` dynalite looks for, delegating to `close()`.
 * Chosen over the alternatives:
 * - a patch of dynalite's file at install (patch-package or postinstall) edits node_modules in place, which
 *   a hard-linked or read-only node_modules (a shared cache, a container layer) turns into a change of every
 *   copy or a failed install; this runs where the iterators are made and needs no install step;
 * - queries that read to the end do not help: dynalite's streams do not close the iterator at their end
 *   either (a stream's auto-destroy calls the same missing `return`);
 * - no dynalite release fixes it (4.0.0 is the newest).
 * It only adds `return` where it is missing, so a dynalite or abstract-level that fixes this makes it a no-op.
 *
 * @example
 * ```ts
 * closeLevelIteratorsOnReturn(); // before dynalite opens its database (startEmbeddedDynamo does)
 * ```
 */
import { dirname } from 'path';

interface Closable {
  close(): Promise<void>;
  return?: () => Promise<{ done: true; value: undefined }>;
}

let applied = false;

/**
 * Adds `return()` (closing the iterator) to abstract-level's iterator classes, as dynalite loads them.
 * Idempotent; returns whether the classes were found.
 */
export function closeLevelIteratorsOnReturn(): boolean {
  if (applied) return true;
  let level: Record<string, { prototype: Closable } | undefined>;
  try {
    // The abstract-level that dynalite's level (classic-level, memory-level) loads: resolved from dynalite.
    const fromDynalite = dirname(require.resolve('dynalite/package.json'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    level = require(require.resolve('abstract-level', { paths: [fromDynalite] }));
  } catch {
    return false;
  }
  for (const name of ['AbstractIterator', 'AbstractKeyIterator', 'AbstractValueIterator']) {
    const proto = level[name]?.prototype;
    if (!proto || typeof proto.return === 'function') continue;
    Object.defineProperty(proto, 'return', {
      configurable: true,
      writable: true,
      value: async function (this: Closable) {
        await this.close();
        return { done: true, value: undefined };
      },
    });
  }
  applied = true;
  return true;
}
