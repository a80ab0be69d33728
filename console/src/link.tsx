/** A link to a console page: a real href (so it opens in a new tab too), followed without a reload. */
import type { AnchorHTMLAttributes } from 'react';
import { navigate } from './navigation.js';

export function Link({ href, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  return (
    <a
      {...rest}
      href={href}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(href);
      }}
    />
  );
}
