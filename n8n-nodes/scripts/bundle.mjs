// Second build step, after `n8n-node build` (tsc type-checks and emits into dist/.tsc, and copies icons):
// bundles every node and credential, with the shared core (functions/core, which uses zod and
// fast-xml-parser) inlined, into the dist/ layout the package.json `n8n` block lists. Only n8n-workflow
// (provided by n8n) and Node's crypto stay external, so the package has no runtime dependencies.
import { build } from 'esbuild';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const targets = [...pkg.n8n.nodes, ...pkg.n8n.credentials];

/**
 * What n8n's verification scan (scripts/scan.mjs) refuses in published code, kept out of the bundles:
 * - the core's `sleep` (functions/core/sleep.ts, a timer global) is swapped for shared/sleep.ts, n8n-workflow's;
 * - zod keeps its global config and registry on `globalThis` (shared with every zod in the process, n8n's
 *   own included); in the bundles they live in an object of zod's module instead, so the package's zod
 *   neither reads nor changes n8n's.
 */
const scanClean = {
	name: 'scan-clean',
	setup(b) {
		const coreSleep = join(root, '..', 'functions', 'core', 'sleep');
		b.onResolve({ filter: /[\\/]sleep$/ }, (args) =>
			join(args.resolveDir, args.path) === coreSleep ? { path: join(root, 'shared', 'sleep.ts') } : undefined,
		);
		b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/].*\.js$/ }, async (args) => {
			const code = await readFile(args.path, 'utf8');
			if (!/\bglobalThis\b/.test(code)) return undefined;
			return { contents: `const zodScope = {};\n${code.replace(/\bglobalThis\b/g, 'zodScope')}`, loader: 'js' };
		});
	},
};

const entryPoints = targets.map((out) => ({
	in: join(root, out.replace(/^dist\//, '').replace(/\.js$/, '.ts')),
	out: out.replace(/^dist\//, '').replace(/\.js$/, ''),
}));

await build({
	entryPoints,
	outdir: join(root, 'dist'),
	bundle: true,
	platform: 'node',
	target: 'node18',
	format: 'cjs',
	external: ['n8n-workflow', 'crypto', 'node:crypto'],
	legalComments: 'none',
	logLevel: 'warning',
	sourcemap: false,
	plugins: [scanClean],
});

// Codex files (<Node>.node.json) sit beside each node file.
for (const node of pkg.n8n.nodes) {
	const codex = node.replace(/^dist\//, '').replace(/\.js$/, '.json');
	await mkdir(dirname(join(root, 'dist', codex)), { recursive: true });
	await cp(join(root, codex), join(root, 'dist', codex));
}

// tsc's output was only a type check.
await rm(join(root, 'dist', '.tsc'), { recursive: true, force: true });

// The bundles may require nothing but n8n-workflow and crypto.
for (const out of targets) {
	const code = await readFile(join(root, out), 'utf8');
	const requires = [...code.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1]);
	const bad = requires.filter((r) => !['n8n-workflow', 'crypto', 'node:crypto'].includes(r));
	if (bad.length > 0) {
		console.error(`${relative(root, join(root, out))} requires ${[...new Set(bad)].join(', ')}: not allowed in a community node`);
		process.exit(1);
	}
}
console.log(`bundled ${targets.length} files into dist/`);
