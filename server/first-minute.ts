/**
 * What a person sees in the first minute after `npm start`. On a terminal: logs through
 * pino-pretty, and a short banner with the issuer, the discovery document, the console and the
 * setup link while there is no administrator. Elsewhere (a container, a service manager): JSON
 * lines only, the setup link being one of them. The setup link is a credential: it is shown
 * in that banner or that one line, nowhere else. Pure functions of whether stdout is a TTY.
 */
import { consoleUrl } from './clients/console-client.js';

export type LogFormat = 'pretty' | 'json';

export function logFormat(isTTY: boolean): LogFormat {
  return isTTY ? 'pretty' : 'json';
}

export interface StartedTessera {
  issuer: string;
  /** While no administrator exists (server/first-administrator/). */
  setupLink: string | undefined;
}

export interface Announcement {
  /** Text for stdout, on a terminal. */
  banner: string | undefined;
  /** One log line carrying the setup link, elsewhere. */
  setupLogLine: { fields: { setup_url: string }; message: string } | undefined;
}

const SETUP_MESSAGE = 'no administrator yet: open this single-use link (valid for one hour) to create the first one';

export function announce(isTTY: boolean, { issuer, setupLink }: StartedTessera): Announcement {
  if (!isTTY) {
    return { banner: undefined, setupLogLine: setupLink ? { fields: { setup_url: setupLink }, message: SETUP_MESSAGE } : undefined };
  }
  const rows = [
    ['Issuer', issuer],
    ['Discovery', `${issuer}/.well-known/openid-configuration`],
    ['Console', consoleUrl(issuer)],
  ];
  const lines = ['', '  Tessera is running', '', ...rows.map(([label, value]) => `  ${label?.padEnd(10)} ${value}`), ''];
  if (setupLink) {
    lines.push('  No administrator yet. Create the first one with this link (single use, valid for one hour):', `  ${setupLink}`, '');
  }
  return { banner: `${lines.join('\n')}\n`, setupLogLine: undefined };
}
