/**
 * pino logger factory. Secrets are redacted by path so that a careless log call cannot leak
 * them: passwords, client secrets, tokens and authorization headers. Errors are logged through
 * a serializer that keeps what explains them and drops what they carry (SQL, parameters, payloads).
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import { serializeError } from './error-serializer.js';
import type { LogFormat } from './first-minute.js';

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
  // A password hash, stored or imported (server/password-hashes/), is as good as the password to an offline guesser.
  'password_hash',
  '*.password_hash',
  'custom_password_hash',
  '*.custom_password_hash',
];

/**
 * `destination` is stdout unless given (tests read the log through one). `pretty` is for a
 * person at a terminal (server/first-minute.ts); it formats in this thread, synchronously, so a
 * line logged just before an exit is still shown, and after the redaction above.
 */
export function createLogger(level: string, destination?: DestinationStream, format: LogFormat = 'json'): Logger {
  const options = { level, redact: { paths: redactPaths, censor: '[redacted]' }, serializers: { err: serializeError } };
  if (format === 'pretty') {
    return pino(options, pretty({ sync: true, colorize: !destination, ...(destination ? { destination } : {}) }));
  }
  return destination ? pino(options, destination) : pino(options);
}
