import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Keygrip from 'keygrip';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCookieSigner } from '../../server/oidc/cookie-signing.js';

const newKey = () => randomBytes(32).toString('base64url');

describe('cookie signing', () => {
  const current = newKey();
  const previous = newKey();
  const signer = createCookieSigner([current, previous]);
  const keygrip = new Keygrip([current, previous]);

  it("signs as keygrip does, so cookies from before still verify and keygrip's peers accept ours", () => {
    for (const data of ['_session=abc', '_interaction=Zx9-_', `_interaction_resume=${randomBytes(40).toString('base64url')}`, 'a=ü/+=']) {
      expect(signer.sign(data)).toBe(keygrip.sign(data));
      expect(keygrip.index(data, signer.sign(data))).toBe(0);
      expect(signer.index(data, keygrip.sign(data))).toBe(0);
    }
  });

  it('names the key that matched: the first signs, an older one still verifies', () => {
    const byPrevious = new Keygrip([previous]).sign('_session=abc');
    expect(signer.index('_session=abc', byPrevious)).toBe(1);
    expect(signer.verify('_session=abc', byPrevious)).toBe(true);
  });

  it('refuses a signature by another key, over other data, altered, cut short, lengthened or empty', () => {
    const signature = signer.sign('_session=abc');
    const altered = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    for (const digest of [
      new Keygrip([newKey()]).sign('_session=abc'),
      signer.sign('_session=abd'),
      altered,
      signature.slice(1),
      `${signature}A`,
      '',
    ]) {
      expect(signer.index('_session=abc', digest), digest).toBe(-1);
      expect(signer.verify('_session=abc', digest)).toBe(false);
    }
  });

  it('needs a key', () => {
    expect(() => createCookieSigner([])).toThrow(/at least one key/);
  });

  describe('as the keys of a Koa app', () => {
    let url: string;
    let server: ReturnType<Koa['listen']>;

    beforeAll(async () => {
      const app = new Koa();
      app.keys = signer;
      app.use((ctx) => {
        if (ctx.path === '/set') ctx.cookies.set('_session', 'abc', { signed: true });
        else ctx.body = { session: ctx.cookies.get('_session', { signed: true }) ?? null };
      });
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(() => new Promise((resolve) => server.close(resolve)));

    const read = (cookie: string) => fetch(`${url}/read`, { headers: { cookie } });

    it('reads back what it set, and nothing once the value or its signature is changed', async () => {
      const set = await fetch(`${url}/set`);
      const cookies = set.headers.getSetCookie().map((header) => header.split(';')[0] ?? '');
      expect(cookies).toEqual(['_session=abc', `_session.sig=${keygrip.sign('_session=abc')}`]);
      expect(await (await read(cookies.join('; '))).json()).toEqual({ session: 'abc' });
      expect(await (await read(`_session=abd; ${cookies[1]}`)).json()).toEqual({ session: null });
      expect(await (await read(`_session=abc; _session.sig=${signer.sign('_session=abd')}`)).json()).toEqual({ session: null });
    });

    it('accepts a cookie signed by an older key and signs it again with the first', async () => {
      const response = await read(`_session=abc; _session.sig=${new Keygrip([previous]).sign('_session=abc')}`);
      expect(await response.json()).toEqual({ session: 'abc' });
      expect(response.headers.getSetCookie().map((header) => header.split(';')[0])).toEqual([
        `_session.sig=${signer.sign('_session=abc')}`,
      ]);
    });
  });
});
