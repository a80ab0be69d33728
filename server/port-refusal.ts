/**
 * A port Tessera cannot listen on, named by the setting that chose it: another process holds
 * it, or the system does not let this user bind it. `npm start` says so in one line
 * (startup-refusal.ts) rather than with a stack trace.
 */
export class PortRefusedError extends Error {
  override name = 'PortRefusedError';
}

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'is already in use; stop what listens there or choose another port',
  EACCES: 'may not be opened by this user; choose a port above 1023',
  EADDRNOTAVAIL: 'names an address this machine does not have',
};

/** The listen error as a PortRefusedError when it is one of the above; otherwise the error itself. */
export function portRefusal(error: unknown, setting: string, port: number): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  const reason = typeof code === 'string' ? REASONS[code] : undefined;
  return reason ? new PortRefusedError(`${setting}=${port} ${reason}`) : error;
}
