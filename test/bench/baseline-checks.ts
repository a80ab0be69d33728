/** What a bare provider over a durable adapter must do for the benchmark's comparison to hold. */
import { expect } from 'vitest';
import { type BaselineStore, startBaselineOver } from '../../bench/baseline-provider.js';
import { issueUserTokens } from '../../bench/login.js';
import { basicAuthorization, type Target } from '../../bench/target.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export function refresh(target: Target, refreshToken: string) {
  return fetch(`${target.issuer}/token`, {
    method: 'POST',
    headers: { ...FORM, authorization: basicAuthorization(target.webClient) },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
}

/**
 * Logs in twice through the target's forms; checks userinfo, introspection, and that the first
 * login's refresh token rotates once and is refused when reused. Gives the second login's
 * refresh token, untouched, for the caller to spend after a restart.
 */
export async function servesTheScenarios(target: Target): Promise<string> {
  const { accessToken, refreshTokens } = await issueUserTokens(target, 2);
  const [refreshToken, kept] = refreshTokens;
  if (!refreshToken || !kept) throw new Error('no refresh token');

  const userinfo = await fetch(`${target.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  expect(userinfo.status).toBe(200);
  const introspection = await fetch(`${target.issuer}/token/introspection`, {
    method: 'POST',
    headers: { ...FORM, authorization: basicAuthorization(target.machineClient) },
    body: new URLSearchParams({ token: accessToken }),
  });
  expect(await introspection.json()).toMatchObject({ active: true });

  const rotated = await refresh(target, refreshToken);
  expect(rotated.status).toBe(200);
  expect((await rotated.json()) as { refresh_token?: string }).toHaveProperty('refresh_token');
  const reused = await refresh(target, refreshToken);
  expect(reused.status).toBe(400);
  expect(await reused.json()).toMatchObject({ error: 'invalid_grant' });
  return kept;
}

/** Bare providers started over stores a test opens, each stopped (its store closed) by stopLatest or stopAll. */
export function runningBaselines() {
  const running: Target[] = [];
  return {
    async start(opening: Promise<BaselineStore>): Promise<Target> {
      const target = await startBaselineOver(await opening);
      running.push(target);
      return target;
    },
    stopLatest: async () => running.pop()?.stop(),
    async stopAll() {
      for (const target of running.splice(0)) await target.stop();
    },
  };
}
