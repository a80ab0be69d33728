import { errors } from 'oidc-provider-published';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBaselineProvider } from '../../bench/baseline-provider.js';
import { issueUserTokens } from '../../bench/login.js';
import { installedVersion } from '../../bench/report.js';
import type { Target } from '../../bench/target.js';
import { errorsBuilt } from '../support/errors-built.js';

describe('the bare provider the benchmarks measure against', () => {
  let baseline: Target;

  beforeAll(async () => {
    baseline = await startBaselineProvider();
  }, 60_000);

  afterAll(async () => {
    await baseline?.stop();
  });

  it("is the same oidc-provider release as Tessera's", () => {
    expect(installedVersion('oidc-provider-published')).toBe(installedVersion('oidc-provider'));
  });

  it('is the release as published, without the patches Tessera carries: userinfo builds its three errors', async () => {
    const { accessToken } = await issueUserTokens(baseline, 0);
    let status = 0;
    const built = await errorsBuilt(errors.InvalidToken, async () => {
      status = (await fetch(`${baseline.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
    });
    expect(status).toBe(200);
    expect(built).toBe(3);
  });
});
