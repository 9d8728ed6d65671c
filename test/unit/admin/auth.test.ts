/** Admin credentials (agent/admin/auth.ts): bearer header or the dashboard cookie; the cookie is not the token. */
import { describe, expect, it } from 'vitest';
import { COOKIE_NAME, adminAuth, sameOrigin } from '../../../agent/admin/auth.js';

const TOKEN = 'test-admin-token-0123456789';

describe('adminAuth', () => {
  const auth = adminAuth(TOKEN);
  const cookie = auth.setCookie().split(';')[0] ?? '';

  it('accepts the exact bearer header, nothing near it', () => {
    expect(auth.credential({ authorization: `Bearer ${TOKEN}` })).toBe('bearer');
    for (const wrong of [TOKEN, `Bearer ${TOKEN}x`, `bearer ${TOKEN}`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer ', ''])
      expect(auth.credential({ authorization: wrong }), wrong).toBeUndefined();
    expect(auth.credential({})).toBeUndefined();
  });

  it('sets an HttpOnly, SameSite=Strict session cookie that holds no token and lets the browser in', () => {
    const set = auth.setCookie();
    expect(set).toMatch(new RegExp(`^${COOKIE_NAME}=[A-Za-z0-9_-]+; Path=/; HttpOnly; SameSite=Strict$`));
    expect(set).not.toContain(TOKEN);
    expect(auth.credential({ cookie: `other=1; ${cookie}; more=2` })).toBe('cookie');
    expect(auth.credential({ cookie: `${COOKIE_NAME}=${TOKEN}` })).toBeUndefined();
    expect(auth.credential({ cookie: `${cookie}x` })).toBeUndefined();
    // Another token's cookie is not this one's.
    expect(adminAuth('another-token').credential({ cookie })).toBeUndefined();
  });

  it('checks the dashboard token', () => {
    expect(auth.isToken(TOKEN)).toBe(true);
    expect(auth.isToken(`${TOKEN} `)).toBe(false);
    expect(auth.isToken('')).toBe(false);
  });
});

describe('sameOrigin', () => {
  it('needs an Origin naming the host and port the request came to', () => {
    expect(sameOrigin({ host: '127.0.0.1:9090', origin: 'http://127.0.0.1:9090' })).toBe(true);
    expect(sameOrigin({ host: '127.0.0.1:9090', origin: 'http://127.0.0.1:8080' })).toBe(false);
    expect(sameOrigin({ host: '127.0.0.1:9090' })).toBe(false);
    expect(sameOrigin({ host: '127.0.0.1:9090', origin: 'null' })).toBe(false);
  });
});
