// n8n's verification scan, both legs, as n8n runs it before it verifies a community package
// (@n8n/scan-community-package: analyzePackageByName): the published tarball's JavaScript and package.json,
// and the source files SOURCE_FILE_PATTERNS names. Inline eslint-disable comments are ignored there, so they
// are here. Exits 1 on any error. Run after the build (npm test does): `node scripts/scan.mjs [packageDir]`.
// What n8n's scan also checks and cannot be checked here (npm provenance from a public repository) is in
// README.md, "Verification".
import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// eslint-plugin-n8n-nodes-base reads file names differently when NODE_ENV is `test` (for its own unit tests):
// under jest it would report the package's correctly named files. n8n's scan runs without it.
if (process.env.NODE_ENV === 'test') delete process.env.NODE_ENV;

const packageDir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const work = mkdtempSync(join(tmpdir(), 'n8n-scan-'));
try {
	// What npm would publish: pack without running prepack (the caller built dist/), then extract.
	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: packageDir, encoding: 'utf8' }),
	);
	const extracted = join(work, 'package');
	execFileSync('tar', ['-xzf', join(work, packed[0].filename), '-C', work]);

	const legs = [
		{
			name: `packed ${packed[0].name}@${packed[0].version} (${packed[0].entryCount} files)`,
			dir: extracted,
			patterns: ['**/*.js', 'package.json'],
		},
		{ name: `source (${SOURCE_FILE_PATTERNS.join(', ')})`, dir: packageDir, patterns: SOURCE_FILE_PATTERNS },
	];
	let failed = false;
	for (const leg of legs) {
		const result = await analyzePackage(leg.dir, leg.patterns);
		if (result.passed) {
			console.log(`n8n scan, ${leg.name}: clean`);
		} else {
			failed = true;
			console.error(`n8n scan, ${leg.name}: ${result.message}\n${result.details ?? ''}`);
		}
	}
	process.exitCode = failed ? 1 : 0;
} finally {
	rmSync(work, { recursive: true, force: true });
}
