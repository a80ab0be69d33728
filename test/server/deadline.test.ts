/**
 * withinDeadline: the work's answer when it comes first, the deadline's error when the work
 * never answers, with the work told through its signal.
 */
import { describe, expect, it } from 'vitest';
import { withinDeadline } from '../../server/deadline.js';

const late = () => new Error('too late');

describe('withinDeadline', () => {
  it('answers with what the work answers, its failure included', async () => {
    await expect(withinDeadline(60_000, async () => 'answer', late)).resolves.toBe('answer');
    await expect(withinDeadline(60_000, () => Promise.reject(new Error('refused')), late)).rejects.toThrow('refused');
  });

  it('rejects with the deadline’s error when the work never answers, and aborts the work’s signal with it', async () => {
    let seen: AbortSignal | undefined;
    const outcome = withinDeadline(
      10,
      (signal) => {
        seen = signal;
        return new Promise<never>(() => {});
      },
      late,
    );
    await expect(outcome).rejects.toThrow('too late');
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toEqual(new Error('too late'));
  });
});
