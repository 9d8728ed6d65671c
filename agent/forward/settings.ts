/**
 * A route's upstream settings as the forwarder uses them: TLS material read from its files,
 * timeouts, pool size, retries and the forwarding-header mode. Built when the snapshot is built
 * (start and reload), so a reload picks up a renewed client certificate, and a file that is
 * missing or not what its key says is a config error at that key, not a failed transfer later.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ForwardedMode } from './headers.js';

export interface UpstreamTimeouts {
  /** TCP + TLS connect, ms. */
  readonly connectMs: number;
  /** From the request sent to the response headers, ms. */
  readonly headersMs: number;
  /** Longest idle gap between response body chunks, ms. */
  readonly bodyMs: number;
}

export interface UpstreamPool {
  /** Most connections to the route's origin (one undici Pool per origin and settings). */
  readonly connections: number;
  /** Idle keep-alive connections are closed after this long, ms (or sooner if the upstream says so). */
  readonly keepAliveTimeoutMs: number;
}

/** `routes[].upstreamTls` with paths made absolute (config/load.ts). */
export interface UpstreamTlsFiles {
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly servername?: string | undefined;
}

export interface UpstreamSettingsInput {
  readonly upstreamTls: UpstreamTlsFiles | undefined;
  readonly timeouts: UpstreamTimeouts;
  readonly pool: UpstreamPool;
  readonly retries: number;
  readonly forwardedHeaders: ForwardedMode;
}

export interface UpstreamTls {
  /** Trusted CAs (PEM) instead of Node's bundled ones. */
  readonly ca?: Buffer;
  /** Client certificate chain and key (PEM) for upstreams that require mutual TLS. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** SNI and the name the upstream's certificate is checked against; default: the URL's host. */
  readonly servername?: string;
}

export interface UpstreamSettings {
  /** Same key, same dispatcher: a digest of everything below (file contents, not paths). */
  readonly key: string;
  readonly tls: UpstreamTls | undefined;
  readonly timeouts: UpstreamTimeouts;
  readonly pool: UpstreamPool;
  /** Extra attempts for an idempotent request none of whose bytes were sent. */
  readonly retries: number;
  readonly forwardedHeaders: ForwardedMode;
}

export interface SettingsIssue {
  /** Key path under the route, e.g. `['upstreamTls', 'key']`. */
  readonly key: readonly string[];
  readonly message: string;
}

/** Read and check the TLS files; `{ issue }` names the first key that is wrong. */
export function loadUpstreamSettings(input: UpstreamSettingsInput): { settings: UpstreamSettings } | { issue: SettingsIssue } {
  const files = input.upstreamTls;
  let tls: UpstreamTls | undefined;
  if (files) {
    const read = (name: 'ca' | 'cert' | 'key'): Buffer | SettingsIssue | undefined => {
      const path = files[name];
      if (path === undefined) return undefined;
      try {
        return readFileSync(path);
      } catch (err) {
        return { key: ['upstreamTls', name], message: `${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
      }
    };
    const ca = read('ca');
    const cert = read('cert');
    const key = read('key');
    for (const v of [ca, cert, key]) if (v && !Buffer.isBuffer(v)) return { issue: v };
    const checked = checkPem(ca as Buffer | undefined, cert as Buffer | undefined, key as Buffer | undefined);
    if (checked) return { issue: checked };
    tls = {
      ...(ca ? { ca: ca as Buffer } : {}),
      ...(cert ? { cert: cert as Buffer } : {}),
      ...(key ? { key: key as Buffer } : {}),
      ...(files.servername ? { servername: files.servername } : {}),
    };
  }
  const digest = createHash('sha256');
  for (const part of [tls?.ca, tls?.cert, tls?.key]) digest.update(part ? createHash('sha256').update(part).digest('hex') : '-').update('\0');
  digest.update(JSON.stringify([tls?.servername, input.timeouts, input.pool]));
  return { settings: { key: digest.digest('hex').slice(0, 24), tls, timeouts: input.timeouts, pool: input.pool, retries: input.retries, forwardedHeaders: input.forwardedHeaders } };
}

/** The PEM files are what their keys say, and the client key belongs to the client certificate. */
function checkPem(ca: Buffer | undefined, cert: Buffer | undefined, key: Buffer | undefined): SettingsIssue | undefined {
  if (ca) {
    const text = ca.toString('latin1');
    if (!text.includes('-----BEGIN CERTIFICATE-----')) return { key: ['upstreamTls', 'ca'], message: 'not a PEM certificate bundle (no BEGIN CERTIFICATE block)' };
    try {
      new X509Certificate(ca);
    } catch (err) {
      return { key: ['upstreamTls', 'ca'], message: `first certificate does not parse: ${(err as Error).message}` };
    }
  }
  let x509: X509Certificate | undefined;
  let pkey: KeyObject | undefined;
  if (cert) {
    try {
      x509 = new X509Certificate(cert);
    } catch (err) {
      return { key: ['upstreamTls', 'cert'], message: `not a PEM certificate: ${(err as Error).message}` };
    }
  }
  if (key) {
    try {
      pkey = createPrivateKey(key);
    } catch (err) {
      // The message names the format problem, never the key's bytes.
      return { key: ['upstreamTls', 'key'], message: `not a readable unencrypted PEM private key: ${(err as NodeJS.ErrnoException).code ?? 'unknown format'}` };
    }
  }
  if (x509 && pkey && !x509.checkPrivateKey(pkey)) return { key: ['upstreamTls', 'key'], message: 'this key does not belong to the certificate in upstreamTls.cert' };
  return undefined;
}
