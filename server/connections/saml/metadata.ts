/**
 * `GET $ISSUER/samlp/metadata?connection=<name>`: the service-provider metadata of a `saml`
 * connection, where Auth0 serves it, for the identity provider's administrator to import:
 * the entity id, and the assertion consumer service with its HTTP-POST binding.
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-metadata-2.0-os.pdf §2.4.4
 */
import Router from '@koa/router';
import { generateServiceProviderMetadata } from '@node-saml/node-saml';
import type { ConnectionQueries } from '../../../adapters/queries/connections.js';
import { SAML_METADATA_PATH, serviceProvider } from './service-provider.js';

export interface SamlMetadataDependencies {
  issuer: string;
  connections: ConnectionQueries;
}

export function createSamlMetadataRouter({ issuer, connections }: SamlMetadataDependencies) {
  const router = new Router();
  router.get(SAML_METADATA_PATH, async (ctx) => {
    const name = ctx.query['connection'];
    if (typeof name !== 'string' || name === '') return ctx.throw(400, 'name the connection: ?connection=<name>');
    const connection = await connections.findByName(name);
    if (connection?.strategy !== 'saml') return ctx.throw(404, `there is no SAML connection named "${name}"`);
    const sp = serviceProvider(issuer, connection.name);
    ctx.type = 'application/samlmetadata+xml';
    ctx.body = generateServiceProviderMetadata({
      issuer: sp.entityId,
      callbackUrl: sp.acsUrl,
      identifierFormat: null,
      wantAssertionsSigned: true,
    });
  });
  return router;
}
