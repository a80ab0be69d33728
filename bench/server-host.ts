/** Starts a benchmarked server in its own child process (server-process.ts) and asks it for its CPU time and RSS. */
import { type ChildProcess, fork } from 'node:child_process';
import { compiledServerProcess } from './compiled-servers.js';
import type { FromServer, ServerKind, ServerUsage, TargetInfo, ToServer } from './server-process.js';
import type { Target } from './target.js';

export interface ServerProcess extends Target {
  readonly pid: number;
  /** The process's usage once started and seeded, before any load. */
  readonly started: ServerUsage;
  usage(): Promise<ServerUsage>;
}

export interface ServerSpec {
  readonly kind: ServerKind;
  readonly name: string;
  /** Tessera's configuration, as `npm start` reads it; added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Flags for node itself, before the script. */
  readonly nodeFlags?: readonly string[];
}

const STOP_TIMEOUT_MS = 30_000;

function nextMessage(child: ChildProcess, type: FromServer['type'], stderr: () => string): Promise<FromServer> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromServer) => {
      if (message.type !== type && message.type !== 'failed') return;
      cleanup();
      if (message.type === 'failed') reject(new Error(`server process failed: ${message.message}`));
      else resolve(message);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`server process exited with ${code}: ${stderr().slice(-2000)}`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function startServerProcess(spec: ServerSpec): Promise<ServerProcess> {
  // The same node binary as this process, on compiled JavaScript: no tsx loader (see compiled-servers.ts).
  const profileDir = process.env['BENCH_CPU_PROF'];
  const child = fork(await compiledServerProcess(), {
    env: { ...process.env, ...spec.env },
    // BENCH_CPU_PROF=<folder>: each server writes a V8 CPU profile there when it stops.
    execArgv: [...(spec.nodeFlags ?? []), ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    // Tessera logs to stdout as `npm start` does; nobody reads it here.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const send = (message: ToServer) => child.send(message);

  let ready: FromServer;
  try {
    const readiness = nextMessage(child, 'ready', () => stderr);
    send({ type: 'start', kind: spec.kind, name: spec.name });
    ready = await readiness;
  } catch (error) {
    child.kill('SIGKILL');
    process.off('exit', killOnExit);
    throw error;
  }
  if (ready.type !== 'ready') throw new Error(`unexpected message ${ready.type}`);
  const target: TargetInfo = ready.target;

  return {
    ...target,
    pid: child.pid ?? 0,
    started: ready.usage,
    async usage() {
      const answer = nextMessage(child, 'usage', () => stderr);
      send({ type: 'usage' });
      const message = await answer;
      if (message.type !== 'usage') throw new Error(`unexpected message ${message.type}`);
      return message.usage;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        send({ type: 'stop' });
      }),
  };
}
