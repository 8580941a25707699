/**
 * The last `size` items of a list that only grows (the sandbox's recorded requests, its feed), oldest
 * first. The oldest are dropped in one go once twice `size` are held, not one by one: shifting thousands
 * of items on every request made each one cost more the longer a run went (bench/README.md, `client`).
 *
 * @example
 * ```ts
 * const tail = new KeptTail<number>(2);
 * [1, 2, 3].forEach((n) => tail.push(n));
 * tail.kept(); // [2, 3]
 * ```
 */
export class KeptTail<T> {
  private items: T[] = [];

  constructor(readonly size: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length >= 2 * this.size) this.items.splice(0, this.items.length - this.size);
  }

  /** The last {@link size} items, oldest first (the held array itself when no more are held: do not change it). */
  kept(): T[] {
    return this.items.length > this.size ? this.items.slice(-this.size) : this.items;
  }

  clear(): void {
    this.items = [];
  }
}

/**
 * Pushes onto a plain array that must stay bounded (the sandbox's sent messages, typing events, chat
 * records): once it holds twice `size`, the oldest are dropped in one go, down to `size`.
 *
 * @example
 * ```ts
 * pushKept(state.sent, message, MAX_RECORDED);
 * ```
 */
export function pushKept<T>(list: T[], item: T, size: number): void {
  list.push(item);
  if (list.length >= 2 * size) list.splice(0, list.length - size);
}
