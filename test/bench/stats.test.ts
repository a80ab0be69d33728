import { describe, expect, it } from 'vitest';
import { loginLimit, median, ratio } from '../../bench/stats.js';

describe('median', () => {
  it('takes the middle of an odd count, whatever the order', () => {
    expect(median([9, 1, 5])).toBe(5);
  });

  it('takes the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('is NaN for no values', () => {
    expect(median([])).toBeNaN();
  });

  it('leaves its input in its order', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('loginLimit', () => {
  it('adds the time per login of the flow and of one verification', () => {
    // 156 flows/s (6.41 ms each) and 220 verifies/s (4.55 ms each): 10.96 ms per login.
    expect(loginLimit(156, 220)).toBeCloseTo(91.28, 2);
  });

  it('is half the rate when both parts are equally fast', () => {
    expect(loginLimit(100, 100)).toBe(50);
  });

  it('is 0 when either part was not measured', () => {
    expect(loginLimit(0, 220)).toBe(0);
    expect(loginLimit(156, 0)).toBe(0);
  });
});

describe('ratio', () => {
  it('divides', () => {
    expect(ratio(3, 4)).toBe(0.75);
  });

  it('is NaN against nothing', () => {
    expect(ratio(3, 0)).toBeNaN();
  });
});
