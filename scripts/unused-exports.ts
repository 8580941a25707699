/**
 * The unused-export check of `npm test`: every name a module of the product exports must be used: by
 * another file (a module, a test, the bench, the CDK app), in its own file (an options type of an exported
 * function's signature, as knip's `ignoreExportsUsedInFile`), or be an entry point something outside the
 * repository loads (a Lambda's `handler`, the n8n package's node and credential classes). An export used
 * nowhere is dead code that still has to be read and kept true.
 *
 * Why a script rather than knip: it runs offline in a second, from the repository's own files, and says
 * exactly what it checks: an exported name that no tracked file mentions as a word besides its declaration.
 *
 * @example
 * ```sh
 * npx tsx scripts/unused-exports.ts   # exits 1 and lists file:line name for each unused export
 * ```
 */
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';

/** Where exports are checked: the deployed code, the developer tools, the n8n package, the CDK app. */
const CHECKED = /^(functions|n8n-nodes\/(nodes|shared|credentials)|infra)\/.*\.ts$/;
/** Names loaded from outside: Lambda entries, n8n's classes (by the package's `n8n` list), the CDK app. */
const ENTRY_NAMES = new Set(['handler']);
const ENTRY_FILES = [/\.node\.ts$/, /\.credentials\.ts$/, /^infra\/bin\//];

const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(ts|tsx|js|mjs|cjs)$/.test(f) && !f.includes('node_modules/') && !f.startsWith('n8n-nodes/dist/'));
// Comments do not count as a use: an @example naming a function keeps nothing alive.
const texts = new Map(files.map((f) => [f, withoutComments(safeRead(f))]));

/** The text without block comments and whole-line `//` comments (a `//` inside a line may be a URL). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, '')).replace(/^\s*\/\/.*$/gm, '');
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const declaration =
  /^export\s+(?:declare\s+)?(?:default\s+)?(?:async\s+)?(?:abstract\s+)?(?:function\*?|const|let|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm;
const unused: string[] = [];
for (const [file, text] of texts) {
  if (!CHECKED.test(file) || ENTRY_FILES.some((p) => p.test(file))) continue;
  for (const match of text.matchAll(declaration)) {
    const name = match[1]!;
    if (ENTRY_NAMES.has(name)) continue;
    const word = new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`, 'g');
    const usedInFile = (text.match(word) ?? []).length > 1;
    const usedElsewhere = usedInFile || [...texts].some(([other, otherText]) => other !== file && new RegExp(word.source).test(otherText));
    if (!usedElsewhere) unused.push(`${file}:${text.slice(0, match.index).split('\n').length} ${name}`);
  }
}
if (unused.length > 0) {
  console.error(
    `Exported but used by no other file (remove the export, or the code if nothing uses it):\n${unused.map((u) => `  ${u}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(`unused exports: none (${[...texts.keys()].filter((f) => CHECKED.test(f)).length} modules checked)`);
