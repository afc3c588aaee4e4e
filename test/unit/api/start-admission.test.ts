import { describe, expect, it } from 'vitest';
import { startAdmission } from '../../../src/api/start-admission.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../../src/api/json-depth.ts';
import { toHttpError } from '../../../src/api/api-error.ts';

const limits = { maxQueued: 10, maxOpenPerTenant: 5, maxOpenPerUser: 2 };

describe('startAdmission', () => {
  it.each([
    [{ queued: 0, tenantOpen: 0, userOpen: 0 }, null],
    [{ queued: 9, tenantOpen: 4, userOpen: 1 }, null],
    [{ queued: 10, tenantOpen: 0, userOpen: 0 }, [503, 'queue_full']],
    [{ queued: 0, tenantOpen: 0, userOpen: 2 }, [429, 'too_many_sessions']],
    [{ queued: 0, tenantOpen: 5, userOpen: null }, [429, 'too_many_sessions']],
    [{ queued: 0, tenantOpen: 4, userOpen: null }, null],
  ] as const)('%j → %j', (load, expected) => {
    const verdict = startAdmission(load, limits);
    if (expected === null) expect(verdict).toBeNull();
    else {
      expect(verdict).toMatchObject({ status: expected[0], code: expected[1] });
      expect(verdict!.retryAfterSec).toBeGreaterThan(0);
    }
  });
});

describe('JSON depth', () => {
  const nest = (n: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
    return v;
  };
  it('measures without recursion, even thousands deep', () => {
    expect(nestsDeeperThan(nest(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nest(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(nest(100_000), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan('text', 0)).toBe(false);
  });
});

describe('a full queue store', () => {
  it('maps SQLITE_FULL, ENOSPC and Redis OOM to 503 queue_storage_full', () => {
    for (const err of [
      Object.assign(new Error('database or disk is full'), { errcode: 13, code: 'ERR_SQLITE_ERROR' }),
      Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
      new Error("OOM command not allowed when used memory > 'maxmemory'."),
    ]) {
      expect(toHttpError(err)).toMatchObject({ status: 503, code: 'queue_storage_full' });
    }
    expect(toHttpError(new Error('other')).status).toBe(500);
  });
});
