/**
 * A user's identities: provider, connection, social flag; the upstream's tokens (present only
 * for an operator holding read:user_idp_tokens) masked until revealed; unlinking a secondary
 * identity, and linking another user, found by id or email, under this one.
 */
import { type FormEvent, useState } from 'react';
import type { Api } from '../api.js';

export interface IdentityRow {
  provider: string;
  connection: string;
  user_id: string;
  isSocial: boolean;
  access_token?: string | undefined;
  refresh_token?: string | undefined;
}

function MaskedToken({ label, token }: { label: string; token: string }) {
  const [shown, setShown] = useState(false);
  return (
    <span className="token">
      {shown ? (
        <code>{token}</code>
      ) : (
        <span>
          <span aria-hidden="true">••••••••</span>
          <span className="visually-hidden">{label} hidden</span>
        </span>
      )}{' '}
      <button type="button" className="link" onClick={() => setShown(!shown)}>
        {shown ? `Hide ${label}` : `Reveal ${label}`}
      </button>
    </span>
  );
}

interface Props {
  api: Api;
  userId: string;
  identities: readonly IdentityRow[];
  canUpdate: boolean;
  changed: () => Promise<void>;
  refuse: (error: unknown) => void;
}

export function UserIdentities({ api, userId, identities, canUpdate, changed, refuse }: Props) {
  const [other, setOther] = useState('');
  const showsTokens = identities.some((identity) => identity.access_token || identity.refresh_token);

  const link = async (event: FormEvent) => {
    event.preventDefault();
    const wanted = other.trim();
    try {
      let secondaryId = wanted;
      if (wanted.includes('@') && !wanted.includes('|')) {
        const found = await api.users.getByEmail.query({ email: wanted });
        const match = found.find((user) => user.user_id !== userId);
        if (!match?.user_id) throw new Error(`no other user has the email ${wanted}`);
        secondaryId = match.user_id;
      }
      await api.users.link.mutate({ id: userId, link_with: secondaryId });
      setOther('');
      await changed();
    } catch (error) {
      refuse(error);
    }
  };

  return (
    <section aria-labelledby="identities-heading">
      <h2 id="identities-heading">Identities</h2>
      <div className="table-scroll">
        <table className="identities">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Connection</th>
              <th scope="col">User id</th>
              <th scope="col">Social</th>
              {showsTokens ? <th scope="col">Upstream tokens</th> : null}
              {canUpdate ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {identities.map((identity, index) => (
              <tr key={`${identity.provider}|${identity.user_id}`}>
                <td>{identity.provider}</td>
                <td>{identity.connection}</td>
                <td>{identity.user_id}</td>
                <td>{identity.isSocial ? 'Yes' : 'No'}</td>
                {showsTokens ? (
                  <td>
                    {identity.access_token ? <MaskedToken label="access token" token={identity.access_token} /> : null}{' '}
                    {identity.refresh_token ? <MaskedToken label="refresh token" token={identity.refresh_token} /> : null}
                  </td>
                ) : null}
                {canUpdate ? (
                  <td>
                    {index === 0 ? (
                      <span className="status">Primary</span>
                    ) : (
                      <button
                        type="button"
                        onClick={async () => {
                          try {
                            await api.users.unlink.mutate({ id: userId, provider: identity.provider, user_id: identity.user_id });
                            await changed();
                          } catch (error) {
                            refuse(error);
                          }
                        }}
                      >
                        Unlink {identity.provider}|{identity.user_id}
                      </button>
                    )}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canUpdate ? (
        <form className="inline" onSubmit={link}>
          <label htmlFor="link-with">Link another user (user id or email) under this one</label>
          <input id="link-with" value={other} required onChange={(event) => setOther(event.target.value)} />
          <button type="submit">Link</button>
        </form>
      ) : null}
    </section>
  );
}
