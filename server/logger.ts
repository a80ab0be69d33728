/**
 * pino logger factory. Secrets are redacted by path so that a careless log call cannot leak
 * them: passwords, client secrets, tokens and authorization headers. Errors are logged through
 * a serializer that keeps what explains them and drops what they carry (SQL, parameters, payloads).
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import { serializeError } from './error-serializer.js';

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

/** `destination` is stdout unless given (tests read the log through one). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: redactPaths, censor: '[redacted]' }, serializers: { err: serializeError } };
  return destination ? pino(options, destination) : pino(options);
}
