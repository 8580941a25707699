/**
 * The layers of docs/architecture.md, checked on the code: every module a deployed Lambda loads (the
 * imports walked from each entry of LAMBDA_FUNCTIONS, plus the secret seed's custom resource) is deployed
 * code, never a developer tool (npm start's local server, the sandbox, the console, the doctor); the core
 * imports neither AWS nor the layers above it; and n8n's Direct mode reaches WeChat through the one runner.
 */
import { existsSync, readFileSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';
import * as ts from 'typescript';
import { LAMBDA_FUNCTIONS } from '../functions/lambda/functions';

const ROOT = resolve(__dirname, '..');
const DEVELOPER_TOOLS = ['functions/dev/'];

/** The repository's modules a file imports (static imports, re-exports, `import()` and `require` of relative paths). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const out: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const base = resolve(dirname(file), fileName);
    const found = [`${base}.ts`, join(base, 'index.ts'), base].find((candidate) => existsSync(candidate) && candidate.endsWith('.ts'));
    if (found) out.push(found);
  }
  return out;
}

/** Every repository module reachable from `entries`, with the path that first reached it. */
function reachable(entries: string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = entries.map((entry) => [entry]);
  while (queue.length > 0) {
    const path = queue.shift()!;
    const file = path[path.length - 1]!;
    if (seen.has(file)) continue;
    seen.set(file, path);
    for (const next of importsOf(file)) if (!seen.has(next)) queue.push([...path, next]);
  }
  return seen;
}

const rel = (file: string) => relative(ROOT, file).split('\\').join('/');

describe('architecture: what runs where (docs/architecture.md)', () => {
  const entries = [
    ...new Set(LAMBDA_FUNCTIONS.map((fn) => join(ROOT, 'functions/lambda', `${fn.entry}.ts`))),
    join(ROOT, 'functions/lambda/secret-seed.ts'),
  ];

  it('every Lambda entry exists', () => {
    for (const entry of entries) expect(existsSync(entry)).toBe(true);
  });

  it('no deployed module imports a developer tool (local server, sandbox, console, doctor)', () => {
    // act
    const modules = reachable(entries);
    // assess: name the chain of imports of each offender
    const offenders = [...modules]
      .filter(([file]) => DEVELOPER_TOOLS.some((dir) => rel(file).startsWith(dir)))
      .map(([, path]) => path.map(rel).join(' → '));
    expect(offenders).toEqual([]);
    // The walk does reach the layers (a walk that found nothing would pass too).
    expect([...modules.keys()].map(rel)).toEqual(
      expect.arrayContaining(['functions/core/runner/run.ts', 'functions/store/windows.ts', 'functions/context/run-ports.ts']),
    );
  });

  it('the core imports no AWS package and nothing from the layers above it', () => {
    const core = reachable([
      join(ROOT, 'functions/core/index.ts'),
      join(ROOT, 'functions/core/runner/index.ts'),
      join(ROOT, 'functions/core/catalogue/index.ts'),
    ]);
    const above = [...core.keys()].map(rel).filter((file) => !file.startsWith('functions/core/'));
    expect(above).toEqual([]);
    const aws = [...core.keys()].filter((file) => /from '@aws-(sdk|lambda-powertools)\//.test(readFileSync(file, 'utf8'))).map(rel);
    expect(aws).toEqual([]);
  });

  it("n8n's Direct mode runs operations through the one runner, as the Lambda entries do", () => {
    const direct = reachable([join(ROOT, 'n8n-nodes/nodes/WeChatKf/transport/direct.ts')]);
    const lambda = reachable([join(ROOT, 'functions/lambda/operation.ts')]);
    expect(direct.has(join(ROOT, 'functions/core/runner/run.ts'))).toBe(true);
    expect(lambda.has(join(ROOT, 'functions/core/runner/run.ts'))).toBe(true);
  });
});
