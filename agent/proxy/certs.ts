/**
 * TLS interception certificates: the company CA (key and certificate from files) and the leaf
 * certificates minted from it, one per intercepted host, kept in an LRU. Leaves are ECDSA P-256
 * (WebCrypto keygen is ~1 ms, an RSA 2048 one is ~100 ms), signed with whatever the CA key is
 * (EC P-256/P-384 or RSA). docs/decisions/0012-tls-interception.md says why @peculiar/x509.
 * In: a canonical host. Out: a `tls.SecureContext` serving a leaf for it. Never: write a leaf's
 * key anywhere; mint for a host the proxy does not intercept (server.ts asks only for routed hosts).
 */
// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { XbError } from '../errors.js';
import type { CanonicalHost } from './host.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
type CryptoKey = webcrypto.CryptoKey;
const subtle = webcrypto.subtle;

export interface CertificateAuthority {
  /** The CA certificate (and any intermediates after it) as in its file: sent after each leaf. */
  readonly chainPem: string;
  readonly cert: x509.X509Certificate;
  readonly key: CryptoKey;
  readonly signingAlgorithm: webcrypto.EcdsaParams | webcrypto.RsaHashedImportParams;
  readonly notAfter: Date;
}

export interface Leaf {
  readonly context: SecureContext;
  readonly certPem: string;
  /** PKCS#8 PEM; in memory only (a test's upstream serves a leaf of its own with it). */
  readonly keyPem: string;
  readonly notAfter: Date;
  /** After this the cache mints a fresh leaf (half the leaf's lifetime). */
  readonly renewAt: number;
}

const CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: 'P-256', hash: 'SHA-256' },
  secp384r1: { namedCurve: 'P-384', hash: 'SHA-384' },
};

/** Read the CA from PEM files; throws XB_PROXY_CA_INVALID saying what is wrong (never the key). */
export async function loadCa(certFile: string, keyFile: string): Promise<CertificateAuthority> {
  let certPem: string;
  let keyPem: string;
  try {
    certPem = readFileSync(certFile, 'utf8');
    keyPem = readFileSync(keyFile, 'utf8');
  } catch (err) {
    throw new XbError('XB_PROXY_CA_INVALID', `proxy.ca: cannot read ${(err as NodeJS.ErrnoException).path ?? 'a file'}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return caFromPem(certPem, keyPem);
}

export async function caFromPem(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  let node: NodeX509;
  let keyObject: ReturnType<typeof createPrivateKey>;
  try {
    node = new NodeX509(certPem);
    keyObject = createPrivateKey(keyPem);
  } catch (err) {
    throw new XbError('XB_PROXY_CA_INVALID', `proxy.ca: the certificate or key is not PEM that Node can read (${(err as Error).message})`);
  }
  if (!node.ca) throw new XbError('XB_PROXY_CA_INVALID', `proxy.ca: ${node.subject.replace(/\n/g, ', ')} is not a CA certificate (basicConstraints cA is not set)`);
  if (!node.checkPrivateKey(keyObject)) throw new XbError('XB_PROXY_CA_INVALID', 'proxy.ca: the key does not belong to the certificate');
  let importAlg: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  let signingAlgorithm: webcrypto.EcdsaParams | webcrypto.RsaHashedImportParams;
  if (keyObject.asymmetricKeyType === 'ec') {
    const curve = CURVES[keyObject.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) throw new XbError('XB_PROXY_CA_INVALID', `proxy.ca: EC curve ${keyObject.asymmetricKeyDetails?.namedCurve} is not supported; use P-256, P-384 or RSA`);
    importAlg = { name: 'ECDSA', namedCurve: curve.namedCurve };
    signingAlgorithm = { name: 'ECDSA', hash: curve.hash };
  } else if (keyObject.asymmetricKeyType === 'rsa') {
    importAlg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    signingAlgorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  } else {
    throw new XbError('XB_PROXY_CA_INVALID', `proxy.ca: ${keyObject.asymmetricKeyType} keys are not supported; use EC P-256, P-384 or RSA`);
  }
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  const key = await subtle.importKey('pkcs8', der, importAlg, false, ['sign']);
  return { chainPem: certPem, cert: new x509.X509Certificate(certPem), key, signingAlgorithm, notAfter: new Date(node.validTo) };
}

/** Mint a leaf for a host: SAN is the host (a DNS name or an IP), valid from an hour ago (clock skew) for `lifetimeMs`, never past the CA. */
export async function mintLeaf(ca: CertificateAuthority, host: CanonicalHost, now: Date, lifetimeMs: number): Promise<Leaf> {
  const keys = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const notBefore = new Date(now.getTime() - 3_600_000);
  const notAfter = new Date(Math.min(now.getTime() + lifetimeMs, ca.notAfter.getTime()));
  // A positive 128-bit serial (RFC 5280 §4.1.2.2: unique per CA, at most 20 octets).
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const cn = host.name.replace(/[,+="\\<>;#]/g, '');
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString('hex'),
    subject: `CN=${cn}`,
    issuer: ca.cert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ca.signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: host.kind === 'dns' ? 'dns' : 'ip', value: host.name }]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyDer = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
  const certPem = cert.toString('pem');
  const keyPem = createPrivateKey({ key: keyDer, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
  const context = createSecureContext({ key: keyPem, cert: `${certPem}\n${ca.chainPem}`, minVersion: 'TLSv1.2' });
  return { context, certPem, keyPem, notAfter, renewAt: now.getTime() + (notAfter.getTime() - now.getTime()) / 2 };
}

export interface LeafCache {
  /** The leaf for a host: cached, minted once however many connections ask at the same time. */
  get(host: CanonicalHost): Promise<Leaf>;
  readonly size: number;
  /** Leaves minted so far (a test and a metric read it). */
  readonly minted: number;
}

export interface LeafCacheOptions {
  /** Most leaves kept; the least recently used goes first. */
  readonly maxEntries: number;
  readonly lifetimeMs: number;
  readonly now: () => Date;
  readonly mint: (host: CanonicalHost, now: Date, lifetimeMs: number) => Promise<Leaf>;
}

/** An LRU of leaves by host name; a failed mint is not kept, a leaf past half its life is replaced. */
export function createLeafCache(opts: LeafCacheOptions): LeafCache {
  const entries = new Map<string, Promise<Leaf>>();
  let minted = 0;
  const settled = new Map<string, Leaf>();
  return {
    get(host) {
      const now = opts.now();
      const hit = entries.get(host.name);
      const leaf = settled.get(host.name);
      if (hit && !(leaf && leaf.renewAt <= now.getTime())) {
        // Most recently used goes to the end of the Map's order.
        entries.delete(host.name);
        entries.set(host.name, hit);
        return hit;
      }
      settled.delete(host.name);
      minted++;
      const p = opts.mint(host, now, opts.lifetimeMs).then(
        (l) => {
          if (entries.get(host.name) === p) settled.set(host.name, l);
          return l;
        },
        (err: unknown) => {
          if (entries.get(host.name) === p) entries.delete(host.name);
          throw err;
        },
      );
      entries.delete(host.name);
      entries.set(host.name, p);
      while (entries.size > opts.maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
        settled.delete(oldest);
      }
      return p;
    },
    get size() {
      return entries.size;
    },
    get minted() {
      return minted;
    },
  };
}

/** A self-signed CA for tests and trials (`xborder` never generates the company CA itself). */
export async function generateTestCa(commonName = 'xborder test CA', lifetimeMs = 86_400_000): Promise<{ certPem: string; keyPem: string }> {
  const keys = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + lifetimeMs),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyDer = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
  return { certPem: cert.toString('pem'), keyPem: createPrivateKey({ key: keyDer, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** The public key of a certificate, for tests that check a leaf's signature. */
export const publicKeyOf = (certPem: string) => createPublicKey(new NodeX509(certPem).publicKey.export({ type: 'spki', format: 'pem' }));
