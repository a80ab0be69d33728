/**
 * `npm run docs:screenshots`: the README's pictures of the login page and the admin console,
 * taken from a real Tessera (scratch PostgreSQL, a handful of invented users) in Debian's
 * Chromium, so they change when the pages do rather than when someone remembers. Writes
 * docs/images/*.png.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { freePort } from '../../adapters/postgres/free-port.js';
import { startScratchPostgres } from '../../bench/scratch-postgres.js';
import { DEFAULT_DATABASE_CONNECTION } from '../../server/clients/bootstrap.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { startTessera, type Tessera } from '../../server/tessera.js';

const IMAGES = fileURLToPath(new URL('../images/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OPERATOR = { email: 'ada@example.com', password: 'an operator passphrase' };

const PEOPLE: ReadonlyArray<{ given: string; family: string; plan: string; logins: number }> = [
  { given: 'Grace', family: 'Hopper', plan: 'pro', logins: 42 },
  { given: 'Alan', family: 'Turing', plan: 'free', logins: 7 },
  { given: 'Katherine', family: 'Johnson', plan: 'pro', logins: 18 },
  { given: 'Edsger', family: 'Dijkstra', plan: 'team', logins: 3 },
  { given: 'Barbara', family: 'Liskov', plan: 'team', logins: 25 },
  { given: 'Donald', family: 'Knuth', plan: 'free', logins: 1 },
];

async function seed(tessera: Tessera): Promise<string> {
  const { users } = tessera.services.management;
  const operator = await users.create(
    {
      connection: DEFAULT_DATABASE_CONNECTION,
      ...OPERATOR,
      name: 'Ada Lovelace',
      management_scopes: [...MANAGEMENT_SCOPES],
    },
    new Set(MANAGEMENT_SCOPES),
  );
  let shown = operator.user_id;
  for (const person of PEOPLE) {
    const created = await users.create({
      connection: DEFAULT_DATABASE_CONNECTION,
      email: `${person.given.toLowerCase()}@example.com`,
      password: randomBytes(12).toString('base64url'),
      name: `${person.given} ${person.family}`,
      given_name: person.given,
      family_name: person.family,
      user_metadata: { plan: person.plan, theme: 'light' },
      app_metadata: { roles: person.plan === 'team' ? ['admin'] : ['member'] },
    });
    for (let login = 0; login < Math.min(person.logins, 3); login += 1)
      await tessera.services.profiles.recordLogin(created.user_id, '203.0.113.7');
    if (person.given === 'Grace') shown = created.user_id;
  }
  await tessera.services.management.clients.create(
    {
      name: 'Acme Storefront',
      redirect_uris: ['https://shop.example.com/callback'],
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      is_first_party: true,
      require_pkce: true,
      management_scopes: [],
    },
    new Set(MANAGEMENT_SCOPES),
  );
  return shown;
}

async function shoot(page: Page, name: string): Promise<void> {
  // Not 'networkidle': a user's page keeps its users.events stream open.
  await page.waitForLoadState('load');
  await page.screenshot({ path: path.join(IMAGES, `${name}.png`), fullPage: false });
  process.stderr.write(`[screenshots] ${name}.png\n`);
}

async function main(): Promise<void> {
  await build({ configFile: path.join(ROOT, 'console/vite.config.ts'), logLevel: 'warn' });
  const logger = createLogger('silent');
  const database = await startScratchPostgres(logger);
  let browser: Browser | undefined;
  let tessera: Tessera | undefined;
  try {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    tessera = await startTessera(
      loadConfig({
        PORT: String(port),
        ISSUER: issuer,
        DATABASE_URL: database.url,
        ADMIN_CLIENT_ID: 'screenshots-admin',
        ADMIN_CLIENT_SECRET: randomBytes(32).toString('base64url'),
        SEALING_KEY: randomBytes(32).toString('base64'),
        LOG_LEVEL: 'silent',
      }),
      logger,
    );
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Before anyone holds a management scope, the start offered the first administrator's setup link.
    if (!tessera.setupLink) throw new Error('a fresh Tessera offers a setup link');
    await page.goto(tessera.setupLink);
    await shoot(page, 'setup-page');
    const shownUser = await seed(tessera);

    await page.goto(`${issuer}/admin/users`);
    await shoot(page, 'login-page');
    await page.getByLabel('Email or username').fill(OPERATOR.email);
    await page.getByLabel('Password').fill(OPERATOR.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await shoot(page, 'console-users');

    await page.goto(`${issuer}/admin/users/${encodeURIComponent(shownUser)}`);
    await page.getByLabel('user_metadata as JSON').waitFor();
    await shoot(page, 'console-user');

    for (const [address, name, heading] of [
      ['/admin/applications', 'console-applications', 'Applications'],
      ['/admin/connections', 'console-connections', 'Connections'],
      ['/admin/keys', 'console-keys', 'Signing keys'],
    ] as const) {
      await page.goto(`${issuer}${address}`);
      await page.getByRole('heading', { name: heading }).waitFor();
      await shoot(page, name);
    }

    await page.goto(`${issuer}/admin/events`);
    await page.getByRole('heading', { name: 'Live events' }).waitFor();
    await tessera.services.management.users.update(shownUser, { user_metadata: { theme: 'dark' } });
    await tessera.services.management.users.update(shownUser, { blocked: true });
    await page.locator('table.events tbody tr').nth(2).waitFor();
    await shoot(page, 'console-events');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${issuer}/admin/users`);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await shoot(page, 'console-users-phone');
  } finally {
    await browser?.close();
    await tessera?.stop();
    await database.stop();
  }
}

await main();
