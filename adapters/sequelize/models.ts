/**
 * Sequelize models over the tables that migrations create. Models never create or alter
 * tables themselves: the schema belongs to the migrations.
 */
import {
  type CreationOptional,
  DataTypes,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';

export type Json = Record<string, unknown>;

export class UserRow extends Model<InferAttributes<UserRow>, InferCreationAttributes<UserRow>> {
  declare id: string;
  declare email: string | null;
  declare email_verified: CreationOptional<boolean>;
  declare username: string | null;
  declare phone_number: string | null;
  declare phone_verified: CreationOptional<boolean>;
  declare name: string | null;
  declare nickname: string | null;
  declare given_name: string | null;
  declare family_name: string | null;
  declare picture: string | null;
  declare locale: string | null;
  declare user_metadata: CreationOptional<Json>;
  declare app_metadata: CreationOptional<Json>;
  declare blocked: CreationOptional<boolean>;
  declare management_scopes: CreationOptional<string[]>;
  declare logins_count: CreationOptional<number>;
  declare last_login: Date | null;
  declare last_ip: string | null;
  declare created_at: CreationOptional<Date>;
  declare updated_at: CreationOptional<Date>;
  declare identities?: NonAttribute<IdentityRow[]>;
}

export class ConnectionRow extends Model<InferAttributes<ConnectionRow>, InferCreationAttributes<ConnectionRow>> {
  declare id: string;
  declare name: string;
  declare strategy: string;
  declare options: CreationOptional<Json>;
  declare created_at: CreationOptional<Date>;
  declare updated_at: CreationOptional<Date>;
}

export class IdentityRow extends Model<InferAttributes<IdentityRow>, InferCreationAttributes<IdentityRow>> {
  declare id: CreationOptional<string>;
  declare user_id: ForeignKey<string>;
  declare connection_id: ForeignKey<string>;
  declare provider: string;
  declare external_id: string;
  declare is_social: CreationOptional<boolean>;
  declare profile_data: CreationOptional<Json>;
  declare password_hash: string | null;
  /** Sealed JSON of the upstream's access and refresh tokens. */
  declare idp_tokens: CreationOptional<string | null>;
  declare created_at: CreationOptional<Date>;
  declare updated_at: CreationOptional<Date>;
  declare connection?: NonAttribute<ConnectionRow>;
}

export class ClientConnectionRow extends Model<InferAttributes<ClientConnectionRow>, InferCreationAttributes<ClientConnectionRow>> {
  declare client_id: string;
  declare connection_id: string;
}

export class OidcPayloadRow extends Model<InferAttributes<OidcPayloadRow>, InferCreationAttributes<OidcPayloadRow>> {
  declare model: string;
  declare id: string;
  declare payload: Json;
  declare grant_id: string | null;
  declare user_code: string | null;
  declare uid: string | null;
  declare account_id: CreationOptional<string | null>;
  declare expires_at: Date | null;
  declare consumed_at: Date | null;
}

export class SigningKeyRow extends Model<InferAttributes<SigningKeyRow>, InferCreationAttributes<SigningKeyRow>> {
  declare kid: string;
  declare alg: string;
  /** Sealed as a string at rest (adapters/queries/keys.ts); opened, the private JWK. */
  declare private_jwk: Json | string;
  declare created_at: CreationOptional<Date>;
}

export class SecretRow extends Model<InferAttributes<SecretRow>, InferCreationAttributes<SecretRow>> {
  declare name: string;
  declare value: unknown;
  declare created_at: CreationOptional<Date>;
}

const timestamps = { timestamps: true, createdAt: 'created_at', updatedAt: 'updated_at', underscored: true } as const;

export interface Models {
  sequelize: Sequelize;
  User: typeof UserRow;
  Connection: typeof ConnectionRow;
  Identity: typeof IdentityRow;
  ClientConnection: typeof ClientConnectionRow;
  OidcPayload: typeof OidcPayloadRow;
  SigningKey: typeof SigningKeyRow;
  Secret: typeof SecretRow;
}

// Each Sequelize instance gets its own subclasses, so two instances in one process (a restart
// test, a benchmark beside its baseline) never rebind each other's models.
export function defineModels(sequelize: Sequelize): Models {
  const User = class extends UserRow {};
  const Connection = class extends ConnectionRow {};
  const Identity = class extends IdentityRow {};
  const ClientConnection = class extends ClientConnectionRow {};
  const OidcPayload = class extends OidcPayloadRow {};
  const SigningKey = class extends SigningKeyRow {};
  const Secret = class extends SecretRow {};

  User.init(
    {
      id: { type: DataTypes.TEXT, primaryKey: true },
      email: DataTypes.TEXT,
      email_verified: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      username: DataTypes.TEXT,
      phone_number: DataTypes.TEXT,
      phone_verified: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      name: DataTypes.TEXT,
      nickname: DataTypes.TEXT,
      given_name: DataTypes.TEXT,
      family_name: DataTypes.TEXT,
      picture: DataTypes.TEXT,
      locale: DataTypes.TEXT,
      user_metadata: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      app_metadata: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      blocked: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      management_scopes: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: [] },
      logins_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      last_login: DataTypes.DATE,
      last_ip: DataTypes.TEXT,
      created_at: DataTypes.DATE,
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'users', ...timestamps },
  );

  Connection.init(
    {
      id: { type: DataTypes.TEXT, primaryKey: true },
      name: { type: DataTypes.TEXT, allowNull: false, unique: true },
      strategy: { type: DataTypes.TEXT, allowNull: false },
      options: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      created_at: DataTypes.DATE,
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'connections', ...timestamps },
  );

  Identity.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      provider: { type: DataTypes.TEXT, allowNull: false },
      external_id: { type: DataTypes.TEXT, allowNull: false },
      is_social: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      profile_data: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      password_hash: DataTypes.TEXT,
      idp_tokens: DataTypes.TEXT,
      created_at: DataTypes.DATE,
      updated_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'identities', ...timestamps },
  );

  ClientConnection.init(
    {
      client_id: { type: DataTypes.TEXT, primaryKey: true },
      connection_id: { type: DataTypes.TEXT, primaryKey: true },
    },
    { sequelize, tableName: 'client_connections', timestamps: false },
  );

  OidcPayload.init(
    {
      model: { type: DataTypes.TEXT, primaryKey: true },
      id: { type: DataTypes.TEXT, primaryKey: true },
      payload: { type: DataTypes.JSONB, allowNull: false },
      grant_id: DataTypes.TEXT,
      user_code: DataTypes.TEXT,
      uid: DataTypes.TEXT,
      account_id: DataTypes.TEXT,
      expires_at: DataTypes.DATE,
      consumed_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'oidc_payloads', timestamps: false },
  );

  SigningKey.init(
    {
      kid: { type: DataTypes.TEXT, primaryKey: true },
      alg: { type: DataTypes.TEXT, allowNull: false },
      private_jwk: { type: DataTypes.JSONB, allowNull: false },
      created_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'signing_keys', timestamps: true, createdAt: 'created_at', updatedAt: false },
  );

  Secret.init(
    {
      name: { type: DataTypes.TEXT, primaryKey: true },
      value: { type: DataTypes.JSONB, allowNull: false },
      created_at: DataTypes.DATE,
    },
    { sequelize, tableName: 'secrets', timestamps: true, createdAt: 'created_at', updatedAt: false },
  );

  User.hasMany(Identity, { foreignKey: 'user_id', as: 'identities' });
  Identity.belongsTo(User, { foreignKey: 'user_id', as: 'user' });
  Identity.belongsTo(Connection, { foreignKey: 'connection_id', as: 'connection' });

  return { sequelize, User, Connection, Identity, ClientConnection, OidcPayload, SigningKey, Secret };
}
