/**
 * GET $ISSUER/exports/<secret>/<job id>.<format>.gz: a finished users export's file, with no token,
 * for whoever holds the link (export-link.ts). Served as the gzip file it is (application/gzip, no
 * Content-Encoding), as Auth0's link serves one: the SDK's users pipe it through gunzip, which an
 * HTTP client that decoded Content-Encoding itself would break. An unknown, expired or altered
 * link answers 404, the same for all three.
 */
import Router from '@koa/router';
import { EXPORT_PATH_PREFIX } from './export-link.js';
import type { UsersExport } from './users-export.js';

export interface ExportDownloadDependencies {
  usersExport: Pick<UsersExport, 'download'>;
}

export function createExportDownloadRouter({ usersExport }: ExportDownloadDependencies): Router {
  const router = new Router({ prefix: EXPORT_PATH_PREFIX });
  router.get('/:secret/:file', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const secret = ctx.params['secret'] ?? '';
    const file = ctx.params['file'] ?? '';
    // The secret is a credential: the error handlers that log a failed request's path log it without.
    ctx.path = `${EXPORT_PATH_PREFIX}/-/${file}`;
    const download = await usersExport.download(secret, file);
    if (!download) {
      ctx.status = 404;
      ctx.body = { statusCode: 404, error: 'Not Found', message: 'No export at this link: it expired, or it never existed.' };
      return;
    }
    ctx.type = 'application/gzip';
    ctx.set('Content-Disposition', `attachment; filename="${download.fileName}"`);
    ctx.length = download.bytes;
    ctx.body = download.body;
  });
  return router;
}
