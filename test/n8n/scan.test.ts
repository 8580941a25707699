/**
 * n8n's verification scan (@n8n/scan-community-package's analyzePackage, both legs: the packed tarball's
 * JavaScript and package.json, and the source patterns it exports) passes on the built package, and fails
 * on a package whose published code uses a restricted global, so the check is known to bite.
 * Uses the built package: `npm run build --workspace n8n-nodes` first.
 */
import { spawn } from 'child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const PACKAGE_DIR = join(__dirname, '..', '..', 'n8n-nodes');
const SCAN = join(PACKAGE_DIR, 'scripts', 'scan.mjs');

function scan(dir: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCAN, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe("n8n's verification scan", () => {
  it('finds nothing in the packed package nor in its source', async () => {
    const { code, out } = await scan(PACKAGE_DIR);
    expect(out).toMatch(/packed n8n-nodes-wechat-kf@[^\n]*: clean/);
    expect(out).toMatch(/source \([^\n]*\): clean/);
    expect(code).toBe(0);
  }, 120_000);

  it('fails on published code that uses a timer global, naming the file and the rule', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'scan-bad-'));
    try {
      for (const entry of ['package.json', 'README.md', 'LICENSE.md', 'dist'])
        cpSync(join(PACKAGE_DIR, entry), join(copy, entry), { recursive: true });
      appendFileSync(join(copy, 'dist', 'nodes', 'WeChatKf', 'WeChatKf.node.js'), '\nsetTimeout(() => undefined, 1);\n');
      const { code, out } = await scan(copy);
      expect(code).toBe(1);
      expect(out).toContain('WeChatKf.node.js');
      expect(out).toMatch(/restricted global 'setTimeout'/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 120_000);
});
