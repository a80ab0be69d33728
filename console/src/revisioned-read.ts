/**
 * What a panel of the user's page reads and shows: read at once, and again each time the page
 * bumps `revision` (the user changed, from this page or elsewhere); a refused read goes to
 * `refuse`. `read` must keep its identity between renders (useCallback), or it is read at
 * every render.
 */
import { useCallback, useEffect, useState } from 'react';

export function useRevisionedRead<T>(
  read: () => Promise<T>,
  revision: number,
  refuse: (error: unknown) => void,
): [T | undefined, () => Promise<void>] {
  const [value, setValue] = useState<T | undefined>();
  const reload = useCallback(async () => {
    try {
      setValue(await read());
    } catch (error) {
      refuse(error);
    }
  }, [read, refuse]);
  // `revision` is only the cue to read again: the effect needs no value of it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: a dependency the effect rightly does not read
  useEffect(() => {
    void reload();
  }, [reload, revision]);
  return [value, reload];
}
