/**
 * In-process measurements for the cache benchmark: latency loops, cache hit counts over a run,
 * CPU time per process over a run, and (for profiling) time per userinfo step and a CPU profile.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CacheStats } from '../adapters/cache/profile-cache.js';

export interface Latency {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
}

export function summarize(durations: readonly number[]): Latency {
  const sorted = [...durations].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    samples: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: sorted.length ? total / sorted.length : 0,
  };
}

/** Calls operation(i) for i in [0, samples), one at a time, timing each call. */
export async function timeSequentially(samples: number, operation: (index: number) => Promise<unknown>): Promise<Latency> {
  const durations: number[] = [];
  for (let index = 0; index < samples; index += 1) {
    const start = performance.now();
    await operation(index);
    durations.push(performance.now() - start);
  }
  return summarize(durations);
}

/** timeSequentially, plus this process's CPU time per call (user + kernel, all threads). */
export async function timeWithCpu(
  samples: number,
  operation: (index: number) => Promise<unknown>,
): Promise<Latency & { cpuMsPerCall: number }> {
  const cpuBefore = process.cpuUsage();
  const latency = await timeSequentially(samples, operation);
  const cpu = process.cpuUsage(cpuBefore);
  return { ...latency, cpuMsPerCall: (cpu.user + cpu.system) / 1000 / samples };
}

export interface CacheDelta extends CacheStats {
  /** hits / (hits + misses); null when the cache was not read at all (cache off). */
  readonly hitRatio: number | null;
}

export function cacheDelta(before: CacheStats, after: CacheStats): CacheDelta {
  const hits = after.hits - before.hits;
  const misses = after.misses - before.misses;
  return { hits, misses, errors: after.errors - before.errors, hitRatio: hits + misses > 0 ? hits / (hits + misses) : null };
}

// ---- CPU time per process, from /proc ----

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface ProcessSample {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly ticks: number;
  readonly systemTicks: number;
}

/** Synchronous on purpose: on a server's busy event loop, awaiting ~200 reads would smear one snapshot over seconds. */
function readProcesses(): Map<number, ProcessSample> {
  const processes = new Map<number, ProcessSample>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // comm may contain spaces and parentheses: the fields after it start at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const ppid = Number(fields[1]);
    const systemTicks = Number(fields[12]); // stime
    const ticks = Number(fields[11]) + systemTicks; // utime + stime
    processes.set(Number(entry), { pid: Number(entry), ppid, comm, ticks, systemTicks });
  }
  return processes;
}

/**
 * Machine-wide: time the kernel spent in interrupts and softirqs (loopback networking, mostly;
 * no process is charged with it), and time the hypervisor gave to other guests (steal).
 */
function machineTicks(): { interrupts: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, ...values] = line.trim().split(/\s+/).map(Number);
  // cpu user nice system idle iowait irq softirq steal ...
  return { interrupts: (values[5] ?? 0) + (values[6] ?? 0), steal: values[7] ?? 0 };
}

export interface CpuSnapshot {
  readonly processes: Map<number, ProcessSample>;
  readonly machine: { interrupts: number; steal: number };
}

export function cpuSnapshot(): CpuSnapshot {
  return { processes: readProcesses(), machine: machineTicks() };
}

/**
 * CPU milliseconds per second of wall time, by role: this process, its children by name,
 * every other user-space process together, and the kernel's interrupt handling;
 * `<role> (kernel)` is the part of a role's time spent in system calls.
 */
export type CpuRates = Record<string, number>;

export function cpuRates(before: CpuSnapshot, after: CpuSnapshot, seconds: number): CpuRates {
  const self = process.pid;
  const isOurs = (pid: number): boolean => {
    for (let current: number | undefined = pid, hops = 0; current && hops < 20; hops += 1) {
      if (current === self) return true;
      current = after.processes.get(current)?.ppid ?? before.processes.get(current)?.ppid;
    }
    return false;
  };
  const spentBy: Record<string, number> = { 'other processes': 0 };
  for (const [pid, end] of after.processes) {
    const start = before.processes.get(pid);
    if (!start) continue;
    const spent = (end.ticks - start.ticks) * TICK_MS;
    if (spent <= 0) continue;
    // Kernel threads (children of kthreadd) do the kernel's work, ours included: not "others".
    if (pid === 2 || end.ppid === 2) continue;
    if (!isOurs(pid)) {
      spentBy['other processes'] = (spentBy['other processes'] ?? 0) + spent;
      continue;
    }
    const role = pid === self ? 'bench process (servers)' : end.comm === 'node' || end.comm === 'MainThread' ? 'load generator' : end.comm;
    spentBy[role] = (spentBy[role] ?? 0) + spent;
    spentBy[`${role} (kernel)`] = (spentBy[`${role} (kernel)`] ?? 0) + (end.systemTicks - start.systemTicks) * TICK_MS;
  }
  spentBy['kernel interrupts'] = (after.machine.interrupts - before.machine.interrupts) * TICK_MS;
  spentBy['steal (hypervisor)'] = (after.machine.steal - before.machine.steal) * TICK_MS;
  return Object.fromEntries(Object.entries(spentBy).map(([role, ms]) => [role, Math.round(ms / seconds)]));
}

/**
 * CPU use over the steady middle of a load run of `durationSeconds` that starts now: sampled
 * from 1 s in to 1 s before the end, while the load generator still lives (a process must
 * appear in both samples to be counted).
 */
export async function cpuDuringRun(durationSeconds: number): Promise<CpuRates | undefined> {
  const windowSeconds = durationSeconds - 2;
  if (windowSeconds < 1) return undefined;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = cpuSnapshot();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000));
  const after = cpuSnapshot();
  return cpuRates(before, after, (performance.now() - started) / 1000);
}

// ---- step timing: wrap methods, sum their wall time ----

export interface StepTiming {
  readonly calls: number;
  readonly totalMs: number;
}

export interface StepRecorder {
  readonly steps: Map<string, StepTiming>;
  restore(): void;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** Replaces each target[method] with a timing wrapper (bench-only; restore() puts the originals back). */
export function recordSteps(targets: ReadonlyArray<{ label: string; object: object; method: string }>): StepRecorder {
  const steps = new Map<string, StepTiming>();
  const restores: Array<() => void> = [];
  for (const { label, object, method } of targets) {
    const holder = object as Record<string, unknown>;
    const original = holder[method] as AnyFunction;
    if (typeof original !== 'function') throw new Error(`${label}: ${method} is not a function`);
    const hadOwn = Object.hasOwn(holder, method);
    steps.set(label, { calls: 0, totalMs: 0 });
    holder[method] = async function timed(this: unknown, ...args: unknown[]) {
      const start = performance.now();
      try {
        return await original.apply(this, args);
      } finally {
        const step = steps.get(label) ?? { calls: 0, totalMs: 0 };
        steps.set(label, { calls: step.calls + 1, totalMs: step.totalMs + performance.now() - start });
      }
    };
    restores.push(() => {
      if (hadOwn) holder[method] = original;
      else delete holder[method];
    });
  }
  return {
    steps,
    restore: () => {
      for (const restore of restores.reverse()) restore();
    },
  };
}

/**
 * Replaces each target[method] with a memo of its first answer per first argument: for a
 * what-if run only (no expiry, no invalidation, shared instances), undone by the returned function.
 */
export function memoize(targets: ReadonlyArray<{ object: object; method: string }>): () => void {
  const restores: Array<() => void> = [];
  for (const { object, method } of targets) {
    const holder = object as Record<string, unknown>;
    const original = holder[method] as AnyFunction;
    const hadOwn = Object.hasOwn(holder, method);
    const memo = new Map<unknown, Promise<unknown>>();
    holder[method] = function memoized(this: unknown, ...args: unknown[]) {
      let answer = memo.get(args[0]);
      if (!answer) {
        answer = Promise.resolve(original.apply(this, args));
        memo.set(args[0], answer);
      }
      return answer;
    };
    restores.push(() => {
      if (hadOwn) holder[method] = original;
      else delete holder[method];
    });
  }
  return () => {
    for (const restore of restores.reverse()) restore();
  };
}

// ---- CPU profile of this process, summarised ----

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfileSummary {
  readonly sampledMs: number;
  /**
   * Self time by origin (a package in node_modules, a folder of this repository, GC, idle),
   * native code (syscalls such as socket writes, V8 builtins) and node core charged to the
   * nearest caller outside them: a socket write made by pg counts for pg. What is left as
   * node core / native ran with no such caller (the HTTP parser, timers, the event loop).
   */
  readonly byOrigin: ReadonlyArray<{ origin: string; percent: number }>;
  readonly topFunctions: ReadonlyArray<{ name: string; percent: number }>;
}

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

function origin(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node core';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = file.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? file);
  }
  if (file.startsWith(ROOT)) return `tessera ${path.relative(ROOT, file).split('/').slice(0, 2).join('/')}`;
  return file;
}

/** Samples this process's CPU while `during` runs (the inspector's sampling profiler, 1 ms interval). */
export async function profileCpu(during: () => Promise<void>): Promise<CpuProfileSummary> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 1000 });
    await session.post('Profiler.start');
    await during();
    const { profile } = (await session.post('Profiler.stop')) as unknown as {
      profile: { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[] };
    };
    const hits = new Map<number, number>();
    for (const id of profile.samples ?? []) hits.set(id, (hits.get(id) ?? 0) + 1);
    const total = [...hits.values()].reduce((sum, count) => sum + count, 0) || 1;
    const byOrigin = new Map<string, number>();
    const byFunction = new Map<string, number>();
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    // Native code and node core are charged to the nearest caller outside them, so a socket
    // write counts for the package that wrote (pg, ioredis, koa's response), not for node.
    const chargedTo = (node: ProfileNode): string => {
      const { url, functionName } = node.callFrame;
      const own = origin(url, functionName);
      if (functionName.startsWith('(') && !url) return own;
      if (url && own !== 'node core') return own;
      for (let parent = parents.get(node.id); parent !== undefined; parent = parents.get(parent)) {
        const caller = nodes.get(parent);
        if (!caller?.callFrame.url) continue;
        const callerOrigin = origin(caller.callFrame.url, caller.callFrame.functionName);
        if (callerOrigin !== 'node core') return callerOrigin;
      }
      return own;
    };
    for (const node of profile.nodes) {
      const count = hits.get(node.id) ?? node.hitCount ?? 0;
      if (!count) continue;
      const where = chargedTo(node);
      byOrigin.set(where, (byOrigin.get(where) ?? 0) + count);
      const file = node.callFrame.url
        ? ` ${origin(node.callFrame.url, '')}:${path.basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`
        : '';
      const name = `${node.callFrame.functionName || '(anonymous)'}${file}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + count);
    }
    const ranked = (map: Map<string, number>, limit: number) =>
      [...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, limit)
        .map(([name, count]) => ({ name, percent: Math.round((count / total) * 1000) / 10 }));
    return {
      sampledMs: Math.round((profile.endTime - profile.startTime) / 1000),
      byOrigin: ranked(byOrigin, 15).map(({ name, percent }) => ({ origin: name, percent })),
      topFunctions: ranked(byFunction, 20),
    };
  } finally {
    await session.post('Profiler.disable').catch(() => undefined);
    session.disconnect();
  }
}
