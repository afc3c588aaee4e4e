import { describe, expect, it } from 'vitest';
import { isSqliteBusy, retryWhileBusy } from '../../../src/sqlite/sqlite-db.ts';

/** What node:sqlite throws for SQLITE_BUSY ("database is locked"). */
const busy = (): Error => Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR', errcode: 5 });

describe('retryWhileBusy', () => {
  it('runs again while the database is locked, then returns the result', () => {
    let calls = 0;
    const result = retryWhileBusy(() => {
      calls++;
      if (calls < 3) throw busy();
      return 'wal';
    }, 5000);
    expect(result).toBe('wal');
    expect(calls).toBe(3);
  });

  it('gives up with the locked error once the time is up', () => {
    let clock = 0;
    let calls = 0;
    const err = (() => {
      try {
        retryWhileBusy(
          () => {
            calls++;
            clock += 400;
            throw busy();
          },
          1000,
          () => clock,
        );
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(isSqliteBusy(err)).toBe(true);
    expect(calls).toBe(3);
  });

  it('does not retry other errors', () => {
    let calls = 0;
    expect(() =>
      retryWhileBusy(() => {
        calls++;
        throw Object.assign(new Error('disk I/O error'), { code: 'ERR_SQLITE_ERROR', errcode: 10 });
      }, 5000),
    ).toThrow('disk I/O error');
    expect(calls).toBe(1);
  });
});
