/**
 * readMultipartBody over a real HTTP server, with small limits: fields and a file as text, and
 * each refusal with its status and the reason it gives.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MultipartRefused, readMultipartBody } from '../../../trpc/api-v2/multipart-body.js';

const LIMITS = { fileBytes: 64, fieldBytes: 16, parts: 4 };

describe('readMultipartBody', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      readMultipartBody(req, LIMITS).then(
        (values) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ values }));
        },
        (error: unknown) => {
          res.statusCode = error instanceof MultipartRefused ? error.status : 500;
          res.setHeader('connection', 'close');
          res.end(JSON.stringify({ refused: (error as Error).message }));
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = async (body: FormData | string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { method: 'POST', body, headers });
    return { status: response.status, body: (await response.json()) as { values?: Record<string, string>; refused?: string } };
  };

  const form = (entries: Array<[string, string | Blob, string?]>) => {
    const data = new FormData();
    for (const [name, value, filename] of entries) {
      if (typeof value === 'string') data.append(name, value);
      else data.append(name, value, filename);
    }
    return data;
  };

  it('reads fields and a file as UTF-8 text, without a byte-order mark', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('[{"name":"Zoë"}]')]);
    const answer = await send(
      form([
        ['connection_id', 'con_1'],
        ['users', new Blob([bytes]), 'users.json'],
      ]),
    );
    expect(answer).toEqual({ status: 200, body: { values: { connection_id: 'con_1', users: '[{"name":"Zoë"}]' } } });
  });

  it('decodes a character whose bytes arrive in two pieces', async () => {
    const body = Buffer.concat([
      Buffer.from('--b\r\nContent-Disposition: form-data; name="users"; filename="u.json"\r\n\r\n["Zo'),
      Buffer.from('ë"]', 'utf8'),
      Buffer.from('\r\n--b--\r\n'),
    ]);
    const split = body.indexOf(0xc3) + 1;
    const answer = await new Promise<string>((resolve, reject) => {
      const outgoing = request(url, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=b', 'content-length': body.length },
      });
      outgoing.on('response', (incoming) => {
        let text = '';
        incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
        incoming.on('end', () => resolve(text));
      });
      outgoing.on('error', reject);
      outgoing.write(body.subarray(0, split));
      setTimeout(() => outgoing.end(body.subarray(split)), 50);
    });
    expect(JSON.parse(answer)).toEqual({ values: { users: '["Zoë"]' } });
  });

  it('refuses a file over its bound with 413', async () => {
    const answer = await send(form([['users', new Blob(['x'.repeat(65)]), 'users.json']]));
    expect(answer).toEqual({ status: 413, body: { refused: 'the file is larger than 64 bytes' } });
  });

  it('refuses a field over its bound with 413', async () => {
    const answer = await send(form([['external_id', 'y'.repeat(17)]]));
    expect(answer).toEqual({ status: 413, body: { refused: 'the field external_id is larger than 16 bytes' } });
  });

  it('refuses a field given twice, a second file, too many parts, a file that is not UTF-8, and a body that is not multipart', async () => {
    expect(
      await send(
        form([
          ['upsert', 'true'],
          ['upsert', 'false'],
        ]),
      ),
    ).toEqual({ status: 400, body: { refused: 'upsert is given more than once' } });
    expect(
      await send(
        form([
          ['users', new Blob(['[]']), 'a.json'],
          ['more', new Blob(['[]']), 'b.json'],
        ]),
      ),
    ).toEqual({ status: 400, body: { refused: 'the body has more than one file' } });
    expect(await send(form(Array.from({ length: 5 }, (_, index): [string, string] => [`f${index}`, 'v'])))).toEqual({
      status: 400,
      body: { refused: 'the body has more than 4 parts' },
    });
    expect(await send(form([['users', new Blob([new Uint8Array([0xff, 0xfe, 0x41])]), 'users.json']]))).toEqual({
      status: 400,
      body: { refused: 'the file users is not UTF-8 text' },
    });
    expect(await send('{}', { 'content-type': 'application/json' })).toEqual({
      status: 400,
      body: { refused: 'the body must be multipart/form-data' },
    });
  });
});
