/**
 * Running a catalogue operation once its input is parsed: through its own hook when it has one, else as
 * the one WeChat request its entry builds. Every surface (Lambda, local server, n8n direct mode) runs
 * operations through the one runner (core/runner/run.ts), which calls these steps, so an operation
 * behaves the same everywhere.
 */
import type { FileResult, Gate, Operation, OperationResult, OperationServices } from './types';

/**
 * Performs a parsed input.
 *
 * @example
 * ```ts
 * const op = getOperation('sendText');
 * await runOperation(op, op.parse(body), { wechat: client, options: {}, now: Date.now });
 * ```
 */
export async function runOperation<I>(op: Operation<I>, input: I, services: OperationServices): Promise<OperationResult> {
  // `return await`: an async function that returns a promise unawaited takes two more turns of the
  // microtask queue to settle (every send passes here).
  if (op.perform) return await op.perform(input, services);
  if (!op.toRequest) throw new Error(`the catalogue entry ${op.name} has neither toRequest nor perform`);
  return await services.wechat.request(op.toRequest(input, services.options), recipientOf(op.gate, input));
}

/**
 * Makes a parsed input ready for the gate and the call: the entry's `prepare` hook, if it has one (e.g.
 * a send whose media are a URL or a file: fetched, checked and uploaded); the input itself otherwise.
 *
 * @example
 * ```ts
 * const ready = await prepareOperation(op, op.parse(body), services);
 * ```
 */
export async function prepareOperation<I>(op: Operation<I>, input: I, services: OperationServices): Promise<I> {
  return op.prepare ? op.prepare(input, services) : input;
}

/**
 * Runs a prepared input with {@link runOperation}; when it fails and the entry's `recover` hook gives an
 * input to try again (a re-uploaded media_id after 40007), runs that once. The hook gets `setup` services
 * (its uploads are not the operation's call: no trace, no delivery record), the runs get `services`.
 *
 * @param onRecover told before the second run (e.g. to drop the first run's failure record).
 * @example
 * ```ts
 * await runWithRecovery(op, ready, tracedServices, client.services());
 * ```
 */
export async function runWithRecovery<I>(
  op: Operation<I>,
  input: I,
  services: OperationServices,
  setup: OperationServices,
  onRecover?: (error: unknown) => void,
): Promise<OperationResult> {
  try {
    return await runOperation(op, input, services);
  } catch (error) {
    const again = op.recover ? await op.recover(error, input, setup) : undefined;
    if (again === undefined) throw error;
    onRecover?.(error);
    return runOperation(op, again, services);
  }
}

/** The WeChat user a gated input addresses (named in window errors), or undefined. */
export function recipientOf<I>(gate: Gate<I>, input: I): string | undefined {
  return gate.kind === 'none' ? undefined : gate.recipient(input);
}

/** Whether a result is a file (answer kind `file`). */
export function isFileResult(result: unknown): result is FileResult {
  return typeof result === 'object' && result !== null && (result as FileResult).data instanceof Uint8Array;
}

/** The path parameters of a route, e.g. `['kf_account']` for `/kf-accounts/{kf_account}`. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}
