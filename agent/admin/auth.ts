/**
 * Who may use the admin plane: a client sending `Authorization: Bearer <admin token>`, or a browser
 * holding the `xb_admin` cookie, which `GET /dashboard?token=<admin token>` sets (a browser cannot
 * send a bearer header when it navigates). The cookie holds an HMAC of the token, not the token.
 * Every comparison is timing-safe and independent of the length given.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const COOKIE_NAME = 'xb_admin';

export type Credential = 'bearer' | 'cookie';

export interface AdminAuth {
  /** How the request proves it holds the token, if it does. */
  credential(headers: IncomingHttpHeaders): Credential | undefined;
  /** Is `given` the admin token (the dashboard's `?token=`)? */
  isToken(given: string): boolean;
  /** The `Set-Cookie` value that lets a browser in (session cookie, HttpOnly, SameSite=Strict). */
  setCookie(): string;
}

export function adminAuth(token: string): AdminAuth {
  const bearer = digest(`Bearer ${token}`);
  const tokenDigest = digest(token);
  // Derived, so a cookie read off a browser is not the token a CLI or a scraper uses.
  const cookieValue = createHmac('sha256', token).update('xborder admin cookie v1').digest('base64url');
  const cookieDigest = digest(cookieValue);
  return {
    credential(headers) {
      const auth = headers.authorization;
      if (auth !== undefined && same(digest(auth), bearer)) return 'bearer';
      const cookie = readCookie(headers.cookie, COOKIE_NAME);
      if (cookie !== undefined && same(digest(cookie), cookieDigest)) return 'cookie';
      return undefined;
    },
    isToken: (given) => same(digest(given), tokenDigest),
    // No `Secure`: the admin plane listens on plain HTTP on 127.0.0.1 by default (docs/admin.md).
    setCookie: () => `${COOKIE_NAME}=${cookieValue}; Path=/; HttpOnly; SameSite=Strict`,
  };
}

/**
 * A cookie-authorized request that changes something must come from the admin plane's own pages:
 * SameSite does not tell ports apart, so a page on another port of the same host could post with the
 * cookie. Browsers send `Origin` on every POST; it must name this host and port.
 */
export function sameOrigin(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  if (origin === undefined || headers.host === undefined) return false;
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const same = (a: Buffer, b: Buffer): boolean => timingSafeEqual(a, b);
