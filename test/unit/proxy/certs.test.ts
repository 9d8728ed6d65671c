import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { caFromPem, createLeafCache, generateTestCa, mintLeaf, type CertificateAuthority, type Leaf } from '../../../agent/proxy/certs.js';
import type { CanonicalHost } from '../../../agent/proxy/host.js';

const dns = (name: string): CanonicalHost => ({ name, kind: 'dns' });

describe('minting leaves from the company CA', () => {
  let ca: CertificateAuthority;
  let caCert: X509Certificate;
  beforeAll(async () => {
    const pem = await generateTestCa('unit CA');
    ca = await caFromPem(pem.certPem, pem.keyPem);
    caCert = new X509Certificate(pem.certPem);
  });

  it('a leaf names its host (DNS or IP), is signed by the CA and is no CA itself', async () => {
    const now = new Date();
    const leaf = new X509Certificate((await mintLeaf(ca, dns('api.partner.com'), now, 3_600_000)).certPem);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.checkHost('api.partner.com')).toBe('api.partner.com');
    expect(leaf.checkHost('other.partner.com')).toBeUndefined();
    expect(leaf.ca).toBe(false);
    expect(new Date(leaf.validTo).getTime()).toBeLessThanOrEqual(now.getTime() + 3_600_000);
    const ip = new X509Certificate((await mintLeaf(ca, { name: '10.1.2.3', kind: 'ipv4' }, now, 3_600_000)).certPem);
    expect(ip.checkIP('10.1.2.3')).toBe('10.1.2.3');
  });

  it('never outlives the CA', async () => {
    const leaf = await mintLeaf(ca, dns('long.example'), new Date(), 10 * 365 * 86_400_000);
    expect(leaf.notAfter.getTime()).toBe(ca.notAfter.getTime());
  });

  it('refuses a certificate that is not a CA, and a key that is not the certificate’s', async () => {
    const a = await generateTestCa('a');
    const b = await generateTestCa('b');
    const leaf = await mintLeaf(ca, dns('x.example'), new Date(), 3_600_000);
    await expect(caFromPem(leaf.certPem, leaf.keyPem)).rejects.toMatchObject({ code: 'XB_PROXY_CA_INVALID' });
    await expect(caFromPem(a.certPem, b.keyPem)).rejects.toMatchObject({ code: 'XB_PROXY_CA_INVALID' });
  });
});

describe('the leaf cache', () => {
  const fakeLeaf = (host: CanonicalHost, now: Date, lifetimeMs: number): Leaf =>
    ({ context: {} as Leaf['context'], certPem: host.name, keyPem: '', notAfter: new Date(now.getTime() + lifetimeMs), renewAt: now.getTime() + lifetimeMs / 2 }) as Leaf;

  it('mints once per host however many ask at once, and evicts the least recently used', async () => {
    let t = 0;
    const cache = createLeafCache({ maxEntries: 2, lifetimeMs: 1_000, now: () => new Date(t), mint: async (h, now, l) => fakeLeaf(h, now, l) });
    const [a1, a2] = await Promise.all([cache.get(dns('a')), cache.get(dns('a'))]);
    expect(a1).toBe(a2);
    expect(cache.minted).toBe(1);
    await cache.get(dns('b'));
    await cache.get(dns('a')); // a is now the most recently used
    await cache.get(dns('c')); // evicts b
    expect(cache.size).toBe(2);
    await cache.get(dns('a'));
    expect(cache.minted).toBe(3);
    await cache.get(dns('b'));
    expect(cache.minted).toBe(4);
  });

  it('replaces a leaf past half its lifetime, and does not keep a failed mint', async () => {
    let t = 0;
    let fail = true;
    const cache = createLeafCache({
      maxEntries: 10,
      lifetimeMs: 1_000,
      now: () => new Date(t),
      mint: async (h, now, l) => {
        if (fail) throw new Error('mint failed');
        return fakeLeaf(h, now, l);
      },
    });
    await expect(cache.get(dns('a'))).rejects.toThrow('mint failed');
    expect(cache.size).toBe(0);
    fail = false;
    const first = await cache.get(dns('a'));
    t = 400;
    expect(await cache.get(dns('a'))).toBe(first);
    t = 600;
    const renewed = await cache.get(dns('a'));
    expect(renewed).not.toBe(first);
    expect(renewed.notAfter.getTime()).toBe(1_600);
  });
});
