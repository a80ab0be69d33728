/**
 * Child process body for server-host.ts: one benchmarked server in a process of its own, so the
 * CPU time and RSS it reports are that server's alone. Tessera is configured from this process's
 * environment, as `npm start` is, then seeded with a web client and users through its services;
 * the bare provider needs no configuration. Answers usage questions until told to stop.
 */
import type { Target } from './target.js';

export type ServerKind = 'tessera' | 'baseline';

export interface ServerUsage {
  /** User plus system CPU time of the whole process (every thread, the password hashes' too) since it started. */
  readonly cpuMicros: number;
  /** The main thread's share of it: JavaScript and I/O, without the thread pool's hashes and the GC's helper threads. */
  readonly mainThreadCpuMicros: number;
  readonly rssBytes: number;
  /** The highest RSS the process has had since it started. */
  readonly peakRssBytes: number;
}

/** Everything of a Target but stop(): plain data, since it crosses back to the parent. */
export type TargetInfo = Omit<Target, 'stop'>;

export type ToServer = { readonly type: 'start'; readonly kind: ServerKind; readonly name: string } | { readonly type: 'usage' | 'stop' };

export type FromServer =
  | { readonly type: 'ready'; readonly target: TargetInfo; readonly usage: ServerUsage }
  | { readonly type: 'usage'; readonly usage: ServerUsage }
  | { readonly type: 'failed'; readonly message: string };

function currentUsage(): ServerUsage {
  const { userCPUTime, systemCPUTime, maxRSS } = process.resourceUsage();
  const mainThread = process.threadCpuUsage();
  return {
    cpuMicros: userCPUTime + systemCPUTime,
    mainThreadCpuMicros: mainThread.user + mainThread.system,
    rssBytes: process.memoryUsage.rss(),
    peakRssBytes: maxRSS * 1024,
  };
}

/** Imported here, not at the top: the bare provider's process must not load and hold Tessera's modules, nor Tessera's the baseline's. */
async function startTesseraServer(name: string): Promise<Target> {
  const [{ loadConfig }, { createLogger }, { startTessera }, { seedBenchmark }] = await Promise.all([
    import('../server/config.js'),
    import('../server/logger.js'),
    import('../server/tessera.js'),
    import('./seed.js'),
  ]);
  const config = loadConfig();
  const tessera = await startTessera(config, createLogger(config.logLevel));
  try {
    if (!config.adminClient) throw new Error('the benchmark needs ADMIN_CLIENT_ID and ADMIN_CLIENT_SECRET');
    const seeded = await seedBenchmark(tessera, config.adminClient.clientId);
    return { name, issuer: config.issuer, machineClient: config.adminClient, ...seeded, stop: () => tessera.stop() };
  } catch (error) {
    await tessera.stop();
    throw error;
  }
}

const send = (message: FromServer) => process.send?.(message);

let server: Target | undefined;

process.on('message', (message: ToServer) => {
  if (message.type === 'start') {
    const starting =
      message.kind === 'tessera'
        ? startTesseraServer(message.name)
        : import('./baseline-provider.js').then(({ startBaselineProvider }) => startBaselineProvider());
    starting.then(
      (started) => {
        server = started;
        const { stop: _stop, ...target } = started;
        send({ type: 'ready', target, usage: currentUsage() });
      },
      (error: unknown) => {
        send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        process.exitCode = 1;
        process.disconnect();
      },
    );
  } else if (message.type === 'usage') {
    send({ type: 'usage', usage: currentUsage() });
  } else {
    const stopping = server?.stop() ?? Promise.resolve();
    // Pools and timers of libraries we do not own may keep the loop alive after everything is stopped.
    stopping.then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
