/**
 * `?return_to=<url>`: the way back to the application that sent the person here. Only a URL the
 * API recognises as a registered redirect URI of some client is offered, with that client's name;
 * anything else is ignored without a word, so the page cannot be made to point anywhere.
 */
import { useEffect, useState } from 'react';
import type { Api } from '../../console/src/api.js';

export interface ReturnTo {
  url: string;
  client_name: string;
}

export function useReturnTo(api: Api): ReturnTo | undefined {
  const [returnTo, setReturnTo] = useState<ReturnTo | undefined>();
  useEffect(() => {
    const url = new URLSearchParams(window.location.search).get('return_to');
    if (!url) return;
    api.me.returnTo.query({ url }).then(setReturnTo, () => setReturnTo(undefined));
  }, [api]);
  return returnTo;
}
