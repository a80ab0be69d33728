/**
 * A pino destination for tests that check what was logged: each JSON line is parsed into `lines`.
 */
import { Writable } from 'node:stream';

export function logSink<T>(lines: T[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as T);
      done();
    },
  });
}
