import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { startTestTessera } from '../support/tessera.js';

describe('Strict-Transport-Security', () => {
  const started: Array<Awaited<ReturnType<typeof startTestTessera>>> = [];
  let httpsIssuer: Awaited<ReturnType<typeof startTestTessera>>;
  let httpIssuer: Awaited<ReturnType<typeof startTestTessera>>;
  let issuer: string;

  beforeAll(async () => {
    // Served over plain http here, as behind a TLS-terminating proxy.
    const port = await freePort();
    issuer = `https://id.example.test:${port}`;
    httpsIssuer = await startTestTessera({ port, env: { ISSUER: issuer } });
    started.push(httpsIssuer);
    httpIssuer = await startTestTessera();
    started.push(httpIssuer);
  });
  afterAll(() => Promise.all(started.map((tessera) => tessera.stop())));

  it('is sent on every answer when the issuer is https', async () => {
    for (const path of ['/.well-known/openid-configuration', '/healthz', '/no-such-page']) {
      const response = await fetch(`${httpsIssuer.url}${path}`);
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    }
  });

  it('is never sent when the issuer is http', async () => {
    for (const path of ['/.well-known/openid-configuration', '/healthz', '/no-such-page']) {
      const response = await fetch(`${httpIssuer.url}${path}`);
      expect(response.headers.has('strict-transport-security')).toBe(false);
    }
  });

  it('keeps the https issuer in discovery though the request came over http', async () => {
    const discovery = (await (await fetch(`${httpsIssuer.url}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(discovery['issuer']).toBe(issuer);
    expect(discovery['token_endpoint']).toBe(`${issuer}/token`);
  });
});
