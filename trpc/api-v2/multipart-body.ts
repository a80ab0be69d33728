/**
 * Reads a multipart/form-data body (Auth0's users import upload) into its fields, files as
 * UTF-8 text, with busboy. Every limit is checked while reading, so a body over its bound is
 * refused at the bound rather than held whole: one file of at most `fileBytes`, a few small
 * fields. A refusal says what was wrong with the body and carries its HTTP status.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';

export interface MultipartLimits {
  /** The largest file part, in bytes. */
  readonly fileBytes: number;
  /** The largest plain field, in bytes. */
  readonly fieldBytes: number;
  /** How many parts (fields and files together) a body may have. */
  readonly parts: number;
}

export class MultipartRefused extends Error {
  override name = 'MultipartRefused';
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

const decoder = () => new TextDecoder('utf-8', { fatal: true });

export function readMultipartBody(req: IncomingMessage, limits: MultipartLimits): Promise<Record<string, string>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    return Promise.reject(new MultipartRefused(400, 'the body must be multipart/form-data'));
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      limits: { fileSize: limits.fileBytes, fieldSize: limits.fieldBytes, parts: limits.parts, files: 1 },
    });
  } catch (error) {
    return Promise.reject(new MultipartRefused(400, `the multipart body cannot be read: ${(error as Error).message}`));
  }
  return new Promise((resolve, reject) => {
    const values: Record<string, string> = {};
    let refusal: MultipartRefused | undefined;
    let parsed = false;
    let openFiles = 0;

    const refuse = (status: 400 | 413, message: string) => {
      if (refusal) return;
      refusal = new MultipartRefused(status, message);
      req.unpipe(parser);
      // Drained, not read: the answer goes out without waiting for the client to stop sending.
      req.resume();
      reject(refusal);
    };
    const finish = () => {
      if (!refusal && parsed && openFiles === 0) resolve(values);
    };
    const keep = (name: string, value: string) => {
      if (Object.hasOwn(values, name)) refuse(400, `${name} is given more than once`);
      else values[name] = value;
    };

    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) refuse(413, `the field ${name} is larger than ${limits.fieldBytes} bytes`);
      else keep(name, value);
    });
    parser.on('file', (name, stream) => {
      openFiles += 1;
      // Decoded as it comes, so the file is held once, as text, not also as its bytes.
      const text = decoder();
      const parts: string[] = [];
      const notText = () => refuse(400, `the file ${name} is not UTF-8 text`);
      stream.on('data', (chunk: Buffer) => {
        if (refusal) return;
        try {
          parts.push(text.decode(chunk, { stream: true }));
        } catch {
          notText();
        }
      });
      stream.on('limit', () => refuse(413, `the file is larger than ${limits.fileBytes} bytes`));
      stream.on('end', () => {
        openFiles -= 1;
        if (refusal) return;
        try {
          parts.push(text.decode());
        } catch {
          return notText();
        }
        keep(name, parts.join(''));
        finish();
      });
    });
    parser.on('partsLimit', () => refuse(400, `the body has more than ${limits.parts} parts`));
    parser.on('filesLimit', () => refuse(400, 'the body has more than one file'));
    parser.on('error', (error: Error) => refuse(400, `the multipart body cannot be read: ${error.message}`));
    parser.on('close', () => {
      parsed = true;
      finish();
    });
    req.on('error', (error) => refuse(400, `the body could not be read: ${error.message}`));
    req.pipe(parser);
  });
}
