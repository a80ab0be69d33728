/**
 * The console's user page shows the mail Tessera sent that user, with a send the SMTP server
 * refused marked as such and its error, so an operator sees a verification that never arrived.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGEMENT_SCOPES } from '../../server/oidc/management-api.js';
import { launchChromium, pageErrors } from '../support/chromium.js';
import { createUser } from '../support/fixtures.js';
import { adminClient } from '../support/management-client.js';
import { smtpUrl, startSmtp, type TestSmtp } from '../support/smtp-capture.js';
import { startTestTessera } from '../support/tessera.js';

describe("the console's mail panel", () => {
  let tessera: Awaited<ReturnType<typeof startTestTessera>>;
  let smtp: TestSmtp;
  let chromium: Browser;

  beforeAll(async () => {
    smtp = await startSmtp();
    tessera = await startTestTessera({ env: { SMTP_URL: smtpUrl(smtp.port) } });
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await tessera?.stop();
    await smtp?.close();
  });

  it("lists a user's messages: one delivered, one refused by the SMTP server with its error", async () => {
    const admin = await adminClient(tessera.issuer);
    const operator = await createUser(tessera);
    await admin.users.update.mutate({ id: operator.profile.user_id, management_scopes: [...MANAGEMENT_SCOPES] });
    const person = await createUser(tessera, { name: 'Mailed Person' });

    await tessera.services.mailer.send({ to: person.email, kind: 'welcome', values: {}, userId: person.profile.user_id });
    await expect.poll(async () => (await admin.users.mail.query({ id: person.profile.user_id }))[0]?.status).toBe('sent');
    smtp.refusing = true;
    await tessera.services.mailer.send({
      to: person.email,
      kind: 'verify_email',
      values: { link: `${tessera.issuer}/tickets/verify-email?ticket=${'a'.repeat(43)}` },
      userId: person.profile.user_id,
    });
    await expect
      .poll(
        async () => (await admin.users.mail.query({ id: person.profile.user_id })).find((row) => row.kind === 'verify_email')?.last_error,
      )
      .toMatch(/451/);

    const context = await chromium.newContext();
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${tessera.issuer}/admin/users/${encodeURIComponent(person.profile.user_id)}`);
    await page.getByLabel('Email or username').fill(operator.email);
    await page.getByLabel('Password').fill(operator.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Mailed Person' }).waitFor();

    const panel = page.getByRole('region', { name: 'Mail', exact: true });
    await panel.locator('tr[data-status="sent"]').waitFor();
    const refused = panel.locator('tr[data-status="pending"]');
    await refused.waitFor();
    expect(await refused.locator('td').first().textContent()).toBe('verify_email');
    expect(await refused.textContent()).toMatch(/451/);
    expect(await panel.textContent()).not.toContain('ticket=');
    expect(errors).toEqual([]);
    await context.close();
  });
});
