/**
 * One part of the page calling the API: the failure it shows, cleared by the next call that
 * succeeds. The answer, or undefined when the call was refused (every call answers an object).
 */
import { useCallback, useState } from 'react';
import type { ApiFailure } from '../../console/src/api.js';

export function useAttempt(refused: (error: unknown) => ApiFailure) {
  const [failure, setFailure] = useState<ApiFailure | undefined>();
  const attempt = useCallback(
    async <T extends object>(call: () => Promise<T>): Promise<T | undefined> => {
      try {
        const answer = await call();
        setFailure(undefined);
        return answer;
      } catch (error) {
        setFailure(refused(error));
        return undefined;
      }
    },
    [refused],
  );
  return { failure, attempt };
}
