import { describe, expect, it } from 'vitest';
import { exclusiveKey, normalizeHost, roomTag, tenantTag, userTag } from '../../../src/domain/session-keys.ts';

describe('session keys normalise as Jitsi compares conferences', () => {
  const key = (baseUrl: string, tenant: string | null, room: string) => exclusiveKey({ baseUrl, tenant, room }, 'file');

  it.each([
    ['trailing dot on the host', key('https://meet.example.com.', null, 'standup')],
    ['upper-case host and room', key('https://MEET.Example.com', null, 'StandUp')],
    ['fullwidth room', key('https://meet.example.com', null, 'ｓｔａｎｄｕｐ')],
    ['fullwidth upper-case room', key('https://meet.example.com', null, 'ＳＴＡＮＤＵＰ')],
  ])('%s is the same session key', (_name, k) => {
    expect(k).toBe(key('https://meet.example.com', null, 'standup'));
  });

  it('keeps tenants, rooms and modes apart', () => {
    expect(key('https://meet.example.com', 'acme', 'standup')).not.toBe(key('https://meet.example.com', null, 'standup'));
    expect(exclusiveKey({ baseUrl: 'https://meet.example.com', tenant: null, room: 'a' }, 'stream')).not.toBe(
      key('https://meet.example.com', null, 'a'),
    );
  });

  it('normalises tags too', () => {
    expect(roomTag('ＡＣＭＥ', 'Standup')).toBe(roomTag('acme', 'standup'));
    expect(normalizeHost('Meet.Example.COM..')).toBe('meet.example.com');
    expect(tenantTag('VPaaS-1')).toBe('tenant:vpaas-1');
    expect(userTag('VPaaS-1', 'U-1')).toBe('user:vpaas-1/U-1');
  });
});
