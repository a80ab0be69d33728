/**
 * HTTPS in front of a test Tessera, as a TLS-terminating reverse proxy puts it in production: a
 * test certificate authority, a `localhost` certificate it signs, an https listener on 127.0.0.1
 * that forwards every request to Tessera's plain-HTTP port with X-Forwarded-For/-Proto, and the
 * issuer `https://localhost:<port>`. Clients that insist on https (the `auth0` SDK builds
 * `https://{domain}/…` and takes no base URL) then talk to Tessera unchanged: this process's
 * fetch (undici's global dispatcher) trusts the test authority for as long as the terminator runs.
 */
import { webcrypto } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { rootCertificates } from 'node:tls';
import { freePort } from '../../adapters/postgres/free-port.js';
import { startTestTessera, type TestTesseraOptions } from './tessera.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

interface Certificates {
  caCertificatePem: string;
  certificatePem: string;
  privateKeyPem: string;
}

async function loadX509() {
  // @peculiar/x509 resolves its services through tsyringe, which needs this polyfill loaded first (as server/saml-idp/certificate.ts does).
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  return x509;
}

const generateKeys = async () => (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;

function pem(label: string, der: ArrayBuffer): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A one-day certificate authority, and a server certificate it signs for `localhost` and 127.0.0.1. */
async function localhostCertificates(): Promise<Certificates> {
  const x509 = await loadX509();
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + DAY_MS);
  const caKeys = await generateKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Tessera test CA',
    keys: caKeys,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = await generateKeys();
  const server = await x509.X509CertificateGenerator.create({
    subject: 'CN=localhost',
    issuer: ca.subject,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    caCertificatePem: ca.toString('pem'),
    certificatePem: server.toString('pem'),
    privateKeyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey)),
  };
}

/** Where Node's fetch keeps its dispatcher (undici's global dispatcher, bundled with Node). */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

interface Dispatcher {
  close(): Promise<void>;
}
type DispatcherClass = new (options: { connect: { ca: string[] } }) => Dispatcher;

/**
 * Makes this process's fetch trust `caCertificatePem` besides the usual roots; the answer undoes
 * it. Node bundles undici without exporting its Agent, so the Agent is the class of the dispatcher
 * Node installs when it first loads undici (which reading `Headers` does).
 */
export function trustInProcess(caCertificatePem: string): () => Promise<void> {
  void globalThis.Headers;
  const store = globalThis as unknown as Record<symbol, Dispatcher | undefined>;
  const previous = store[GLOBAL_DISPATCHER];
  if (previous?.constructor.name !== 'Agent') throw new Error('fetch’s global dispatcher is not undici’s Agent: cannot add a CA to it');
  const Agent = previous.constructor as DispatcherClass;
  const trusting = new Agent({ connect: { ca: [...rootCertificates, caCertificatePem] } });
  store[GLOBAL_DISPATCHER] = trusting;
  return async () => {
    store[GLOBAL_DISPATCHER] = previous;
    await trusting.close();
  };
}

export interface TlsTerminator {
  readonly port: number;
  /** `https://localhost:<port>`. */
  readonly origin: string;
  readonly caCertificatePem: string;
  /** Sends the decrypted requests to this plain-HTTP port on 127.0.0.1 (known only once the origin is). */
  forwardTo(port: number): void;
  close(): Promise<void>;
}

export async function startTlsTerminator(): Promise<TlsTerminator> {
  const { caCertificatePem, certificatePem, privateKeyPem } = await localhostCertificates();
  const upstream = new HttpAgent({ keepAlive: true });
  let target: number | undefined;
  const server = createHttpsServer({ key: privateKeyPem, cert: certificatePem }, (incoming, outgoing) => {
    if (target === undefined) {
      outgoing.writeHead(502).end();
      return;
    }
    const forwardedFor = [incoming.headers['x-forwarded-for'], incoming.socket.remoteAddress].filter(Boolean).join(', ');
    const proxied = httpRequest(
      {
        agent: upstream,
        host: '127.0.0.1',
        port: target,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, 'x-forwarded-for': forwardedFor, 'x-forwarded-proto': 'https' },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    proxied.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
    incoming.pipe(proxied);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `https://localhost:${port}`,
    caCertificatePem,
    forwardTo(plainPort) {
      target = plainPort;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      upstream.destroy();
    },
  };
}

/**
 * A test Tessera whose issuer is `https://localhost:<port>`, behind the terminator, with this
 * process's fetch trusting it. `domain` is what an Auth0 SDK takes; `stop` undoes all three.
 */
export async function startTesseraBehindTls(options: Omit<TestTesseraOptions, 'port'> = {}) {
  const terminator = await startTlsTerminator();
  const untrust = trustInProcess(terminator.caCertificatePem);
  try {
    const port = await freePort();
    const tessera = await startTestTessera({
      ...options,
      port,
      env: { ...options.env, ISSUER: terminator.origin, TRUST_PROXY: '1' },
    });
    terminator.forwardTo(port);
    return {
      ...tessera,
      issuer: terminator.origin,
      domain: `localhost:${terminator.port}`,
      caCertificatePem: terminator.caCertificatePem,
      async stop() {
        await tessera.stop();
        await terminator.close();
        await untrust();
      },
    };
  } catch (error) {
    await terminator.close();
    await untrust();
    throw error;
  }
}
