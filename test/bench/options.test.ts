import { describe, expect, it } from 'vitest';
import { OptionsError, readOptions } from '../../bench/options.js';

const SCENARIOS = ['discovery', 'jwks', 'refresh_token'];

describe('readOptions', () => {
  it('measures Tessera as npm start runs it, three rounds, 16 connections and 4 logins at a time by default', () => {
    expect(readOptions([], {}, SCENARIOS)).toEqual({
      durationSeconds: 10,
      connections: 16,
      rounds: 3,
      loginConcurrency: 4,
      loginDurationSeconds: 10,
      targets: ['embedded'],
      scenarios: undefined,
    });
  });

  it('takes the environment, and flags over it', () => {
    const options = readOptions(['--rounds=5'], { BENCH_ROUNDS: '1', BENCH_CONNECTIONS: '8' }, SCENARIOS);
    expect(options.rounds).toBe(5);
    expect(options.connections).toBe(8);
  });

  it('adds targets by flag and keeps them in one order', () => {
    expect(readOptions(['--redis', '--postgres'], {}, SCENARIOS).targets).toEqual(['embedded', 'postgres', 'redis']);
    expect(readOptions(['--targets=redis'], {}, SCENARIOS).targets).toEqual(['redis']);
    expect(readOptions(['--all-targets'], { BENCH_TARGETS: 'redis' }, SCENARIOS).targets).toEqual(['embedded', 'postgres', 'redis']);
  });

  it('accepts the known scenarios and logins, and refuses others', () => {
    expect(readOptions(['--scenarios=jwks,logins'], {}, SCENARIOS).scenarios).toEqual(['jwks', 'logins']);
    expect(() => readOptions(['--scenarios=jwk'], {}, SCENARIOS)).toThrow(OptionsError);
  });

  it('refuses an unknown target, an unknown flag and a count that is not a positive integer', () => {
    expect(() => readOptions(['--targets=mysql'], {}, SCENARIOS)).toThrow(/unknown target "mysql"/);
    expect(() => readOptions(['--fast'], {}, SCENARIOS)).toThrow(/unknown flag --fast/);
    expect(() => readOptions([], { BENCH_ROUNDS: '0' }, SCENARIOS)).toThrow(/BENCH_ROUNDS must be a positive integer/);
    expect(() => readOptions(['--duration=1.5'], {}, SCENARIOS)).toThrow(/BENCH_DURATION/);
  });
});
