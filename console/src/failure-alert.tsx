/** A refused call as the page shows it: the API's message, prefixed with the field it names. */
import type { ApiFailure } from './api.js';

export function FailureAlert({ failure }: { failure: ApiFailure | undefined }) {
  if (!failure) return null;
  return (
    <p className="error" role="alert">
      {failure.field ? `${failure.field}: ` : ''}
      {failure.message}
    </p>
  );
}
