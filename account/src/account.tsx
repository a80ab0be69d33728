/**
 * The account page's frame: who is signed in, the way back to the application that sent them
 * (when `return_to` is one of its registered redirect URIs), and each part of their account.
 * A call refused as UNAUTHORIZED (the token expired or the session ended) sends the person back
 * through the login page, which returns them here.
 */
import type { inferRouterOutputs } from '@trpc/server';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { type Api, type ApiFailure, createApi, describeFailure, isSignedOut } from '../../console/src/api.js';
import type { Session, SiteSettings } from '../../console/src/auth.js';
import { FailureAlert } from '../../console/src/failure-alert.js';
import { SetPassword } from '../../console/src/pages/set-password.js';
import { TypedConfirmation } from '../../console/src/typed-confirmation.js';
import type { AppRouter } from '../../trpc/index.js';
import { ActivityLists } from './activity-lists.js';
import { useAttempt } from './attempt.js';
import { EmailChange } from './email-change.js';
import { LinkedIdentities } from './linked-identities.js';
import { Passkeys } from './passkeys.js';
import { ProfileForm } from './profile-form.js';
import { useReturnTo } from './return-to.js';
import { TwoStep } from './two-step.js';

export type AccountSettings = SiteSettings;
export type Me = inferRouterOutputs<AppRouter>['me'];
export type Profile = Me['get'];
export type MeSettings = Me['settings'];

export interface Notice {
  kind: 'success' | 'error';
  text: string;
}

/** What every part of the page is handed. */
export interface PartProps {
  api: Api;
  /** Every failed call goes through here: the part shows it, and an ended session is noticed wherever it happens. */
  refused: (error: unknown) => ApiFailure;
}

interface Props {
  session: Session;
  notice: Notice | undefined;
  onSignedOut: () => void;
  onLink: (connection: string) => void;
}

export function Account({ session, notice, onSignedOut, onLink }: Props) {
  const api = useMemo(() => createApi(() => session.accessToken), [session]);
  const [profile, setProfile] = useState<Profile | undefined>();
  const [settings, setSettings] = useState<MeSettings | undefined>();
  const [deleted, setDeleted] = useState(false);

  const refused = useCallback(
    (error: unknown) => {
      if (isSignedOut(error) || Date.now() >= session.expiresAt) onSignedOut();
      return describeFailure(error);
    },
    [session, onSignedOut],
  );

  const { failure, attempt } = useAttempt(refused);

  const load = useCallback(async () => {
    const loaded = await attempt(() => Promise.all([api.me.get.query(), api.me.settings.query()]));
    if (!loaded) return;
    setProfile(loaded[0]);
    setSettings(loaded[1]);
  }, [api, attempt]);

  useEffect(() => {
    void load();
  }, [load]);

  const backTo = useReturnTo(api);
  const parts: PartProps = { api, refused };

  return (
    <div className="account">
      <header>
        <h1 className="brand">Your account</h1>
        {backTo ? (
          <a className="back" href={backTo.url}>
            Back to {backTo.client_name}
          </a>
        ) : null}
        <span className="operator">Signed in as {session.displayName}</span>
      </header>
      <main>
        {notice ? (
          <p className={notice.kind} role={notice.kind === 'error' ? 'alert' : 'status'}>
            {notice.text}
          </p>
        ) : null}
        <FailureAlert failure={failure} />
        {deleted ? (
          <p role="status">Your account was deleted.</p>
        ) : profile && settings ? (
          <>
            <ProfileForm {...parts} profile={profile} fields={settings.metadata_fields} saved={setProfile} />
            <EmailChange {...parts} profile={profile} />
            {settings.password ? <PasswordChange {...parts} minLength={settings.password.min_length} /> : null}
            <TwoStep {...parts} />
            <LinkedIdentities {...parts} profile={profile} connections={settings.connections} changed={setProfile} onLink={onLink} />
            <Passkeys {...parts} possible={settings.passkeys} />
            <ActivityLists {...parts} />
            {settings.self_deletion ? (
              <TypedConfirmation
                id="delete"
                heading="Delete your account"
                expected={profile.email ?? profile.user_id ?? ''}
                button="Delete my account"
                confirm={async () => {
                  if (await attempt(() => api.me.delete.mutate({}))) setDeleted(true);
                }}
              />
            ) : null}
          </>
        ) : failure ? null : (
          <p className="status">Loading…</p>
        )}
      </main>
    </div>
  );
}

function PasswordChange({ api, refused, minLength }: PartProps & { minLength: number }) {
  // A wrong current password is UNAUTHORIZED too: the session has ended only if the token is refused as well.
  const { failure, attempt } = useAttempt((error) => {
    if (!isSignedOut(error)) return refused(error);
    api.me.get.query().catch(refused);
    return describeFailure(error);
  });
  return (
    <div id="password">
      <SetPassword
        askCurrent
        minLength={minLength}
        heading="Change your password"
        button="Change password"
        save={async (password, current) =>
          (await attempt(() => api.me.changePassword.mutate({ current_password: current, new_password: password }))) !== undefined
        }
      />
      <FailureAlert failure={failure} />
    </div>
  );
}
