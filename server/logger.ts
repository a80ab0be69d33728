/**
 * pino logger factory. Secrets are redacted by path so that a careless log call cannot leak
 * them: passwords, client secrets, tokens and authorization headers.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const redactPaths = [
  'password',
  '*.password',
  'client_secret',
  '*.client_secret',
  'clientSecret',
  '*.clientSecret',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' } });
}
