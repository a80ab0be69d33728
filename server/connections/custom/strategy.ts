/**
 * The `custom` strategy's login: the script's `login` checks the password against the legacy
 * database. With `import_users`, the first success keeps the password's argon2id hash, and from
 * then on the local hash alone decides, as Auth0's lazy migration does.
 */
import type { ConnectionRecord } from '../../../adapters/queries/records.js';
import { verifyPassword } from '../../passwords.js';
import { credentialsRefused } from '../credentials-refused.js';
import type { StrategyDependencies } from '../strategies.js';
import type { CredentialStrategy, UpstreamUser } from '../strategy.js';
import { customOptions } from './options.js';

/** The identity's external id is `<connection>|<script's id>`; the script knows only the latter. */
export function scriptIdOf(connection: ConnectionRecord, externalId: string): string {
  return externalId.slice(connection.name.length + 1);
}

/** An imported user signs in against the local hash; undefined when this login is not an imported user's. */
async function importedLogin(
  { users, rehash }: Pick<StrategyDependencies, 'users' | 'rehash'>,
  connection: ConnectionRecord,
  login: string,
  password: string,
): Promise<UpstreamUser | undefined> {
  const identity = await users.findCustomIdentity(connection.id, login);
  if (!identity?.password_hash) return undefined;
  if (!(await verifyPassword(identity.password_hash, password))) throw credentialsRefused();
  await rehash(identity, password);
  return { id: scriptIdOf(connection, identity.external_id), attributes: identity.profile_data, storedUserId: identity.user_id };
}

export function createCustomStrategy({ users, scripts, rehash }: StrategyDependencies): CredentialStrategy {
  return {
    kind: 'credentials',
    async authenticate(connection, login, password) {
      const trimmed = login.trim();
      if (!trimmed || !password) throw credentialsRefused();
      const { import_users: importUsers } = customOptions(connection.options);
      const imported = importUsers ? await importedLogin({ users, rehash }, connection, trimmed, password) : undefined;
      if (imported) return imported;
      const upstream = await scripts.profile(connection, 'login', trimmed, password);
      if (!upstream) throw credentialsRefused();
      return importUsers ? { ...upstream, importPassword: password } : upstream;
    },
  };
}
