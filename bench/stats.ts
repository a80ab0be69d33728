/** The arithmetic of the benchmark's summaries, apart so it can be unit-tested. */

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

/**
 * The fastest a login can be: the bare provider's flow and one password verification, one after
 * the other, so their times per login add up: 1 / (1 / flows per second + 1 / verifies per second).
 */
export function loginLimit(bareLoginsPerSecond: number, rawVerifiesPerSecond: number): number {
  if (bareLoginsPerSecond <= 0 || rawVerifiesPerSecond <= 0) return 0;
  return 1 / (1 / bareLoginsPerSecond + 1 / rawVerifiesPerSecond);
}

/** a / b, or NaN when b is not a positive number (nothing measured to compare against). */
export function ratio(a: number, b: number): number {
  return b > 0 ? a / b : Number.NaN;
}
