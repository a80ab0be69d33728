/**
 * A real three-master Redis Cluster on free loopback ports, for tests; redis-cli creates it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '../../adapters/postgres/free-port.js';

const run = promisify(execFile);

export interface RedisClusterNode {
  readonly port: number;
  readonly url: string;
  /** Stops this node only, keeping its folder so restart() brings back the same node and slots. */
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export interface RedisCluster {
  readonly nodes: readonly RedisClusterNode[];
  readonly urls: readonly string[];
  /** REDIS_URL's form: the nodes' URLs, comma-separated. */
  readonly url: string;
  stop(): Promise<void>;
}

async function startNode(dir: string, port: number, busPort: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--protected-mode',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      path.join(dir, `nodes-${port}.conf`),
      // freePort's ports can be above 55535, where the default bus port (port + 10000) does not exist.
      '--cluster-port',
      String(busPort),
      // A stopped node is marked failed, and a restarted one accepted back, within a test's patience.
      '--cluster-node-timeout',
      '1000',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server on ${port} exited with ${code}: ${output}`)));
  });
  return child;
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Resolves once every node reports cluster_state:ok, which `--cluster create` does not wait for. */
async function waitForClusterOk(ports: readonly number[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      ports.map(async (port) => {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']).catch(() => ({ stdout: '' }));
        return stdout.includes('cluster_state:ok');
      }),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`redis cluster on ${ports.join(', ')} did not reach cluster_state:ok`);
    await sleep(100);
  }
}

export async function startRedisCluster(size = 3): Promise<RedisCluster> {
  const processes = new Map<number, ChildProcess>();
  const dirs: string[] = [];
  const stop = async () => {
    await Promise.all([...processes.values()].map(stopProcess));
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  };
  try {
    const nodes: RedisClusterNode[] = [];
    for (let index = 0; index < size; index += 1) {
      const dir = await mkdtemp(path.join(tmpdir(), 'tessera-redis-cluster-'));
      dirs.push(dir);
      const port = await freePort();
      const busPort = await freePort();
      processes.set(port, await startNode(dir, port, busPort));
      nodes.push({
        port,
        url: `redis://127.0.0.1:${port}`,
        stop: () => stopProcess(processes.get(port)!),
        async restart() {
          processes.set(port, await startNode(dir, port, busPort));
          await waitForClusterOk(nodes.map((node) => node.port));
        },
      });
    }
    const ports = nodes.map((node) => node.port);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitForClusterOk(ports);
    const urls = nodes.map((node) => node.url);
    return { nodes, urls, url: urls.join(','), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
