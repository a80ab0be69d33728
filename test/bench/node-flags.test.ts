/** The benchmark measures Tessera with the node flags it ships with: `npm start`'s and the image's. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TESSERA_NODE_FLAGS } from '../../bench/compiled-servers.js';
import { PACKAGE_ROOT } from '../../server/package-root.js';

describe('node flags', () => {
  it('are the same for the benchmark, npm start and the Docker image', async () => {
    const scripts = (JSON.parse(await readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
      .scripts;
    expect(scripts['start']).toBe(`node ${TESSERA_NODE_FLAGS.join(' ')} dist/server/index.js`);
    const dockerfile = await readFile(path.join(PACKAGE_ROOT, 'Dockerfile'), 'utf8');
    const cmd = dockerfile.split('\n').find((line) => line.startsWith('CMD '));
    expect(JSON.parse(cmd?.slice('CMD '.length) ?? 'null')).toEqual(['node', ...TESSERA_NODE_FLAGS, 'dist/server/index.js']);
  });
});
