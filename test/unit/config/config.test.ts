/**
 * loadConfig() on the broken configs kept in test/fixtures/config/. Each fixture marks the line
 * of every error it should produce with `# error: <key path>`; the loader must report each one,
 * all at once, as `<file>:<line> <key path>: …` under XB_CFG_INVALID.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../agent/config/load.js';
import { DEFAULTS } from '../../../agent/config/defaults.js';
import { XbError } from '../../../agent/errors.js';
import { PACKAGE_ROOT } from '../../../agent/package-root.js';

const FIXTURES = join(PACKAGE_ROOT, 'test', 'fixtures', 'config');
const fixture = (name: string): string => join(FIXTURES, name);
/** How the loader names a file in its messages: relative to the working directory. */
const shown = (name: string): string => relative(process.cwd(), fixture(name));

/** The `# error: <path>` markers of a fixture, with their 1-based lines. */
function markers(name: string): { path: string; line: number }[] {
  return readFileSync(fixture(name), 'utf8')
    .split('\n')
    .flatMap((text, i) => {
      const m = /#\s*error:\s*(\S+)\s*$/.exec(text);
      return m ? [{ path: m[1] as string, line: i + 1 }] : [];
    });
}

/** `<file>:<line> <path>` of every issue line in an XB_CFG_INVALID message. */
const locations = (err: XbError): string[] => err.message.split('\n').slice(1).map((l) => l.slice(0, l.indexOf(': ')));

function loadError(name: string): XbError {
  try {
    loadConfig(fixture(name));
  } catch (err) {
    if (err instanceof XbError) return err;
    throw err;
  }
  throw new Error(`${name} loaded without error`);
}

describe('a valid config', () => {
  it('loads, with defaults applied and paths resolved against the config folder', () => {
    const { config } = loadConfig(fixture('valid.yaml'));
    expect(config.mode).toBe('enforce');
    expect(config.dataDir).toBe(join(FIXTURES, 'data'));
    expect(config.store).toEqual({ kind: 'embedded', path: join(FIXTURES, 'data', DEFAULTS.store.path) });
    expect(config.limits.bodyBytes).toBe(DEFAULTS.limits.bodyBytes);
    expect(config.company.sensitivityProfile).toBe('gbt45574');
    expect(config.routes).toEqual([
      {
        id: 'sg-logistics',
        upstream: 'https://partner.example.com/v1',
        recipient: { name: 'Example Logistics Pte. Ltd.', country: 'SG' },
        domain: 'guangxi-2025/live-commerce',
        scenario: 'cross-border-delivery',
        csv: { delimiter: ',' },
        recordRoot: '$',
        failMode: 'closed',
        // Forward-proxy matching defaults to the upstream's host and base path; upstream defaults per route.
        match: { hosts: ['partner.example.com'], pathPrefix: '/v1' },
        forwardedHeaders: 'strip',
        pool: { connections: DEFAULTS.route.pool.connections, keepAliveTimeoutMs: DEFAULTS.route.pool.keepAliveTimeoutMs },
        retries: 1,
        timeouts: { connectMs: DEFAULTS.upstream.connectTimeoutMs, headersMs: DEFAULTS.upstream.headersTimeoutMs, bodyMs: DEFAULTS.upstream.bodyTimeoutMs },
      },
    ]);
    expect(config.filings.map((f) => [f.id, f.effective, f.expires])).toEqual([['SC-2026-0001', '2026-03-01', '2029-02-28']]);
  });

  it('the shipped example config loads', () => {
    expect(() => loadConfig(join(PACKAGE_ROOT, 'xborder.example.yaml'))).not.toThrow();
  });

  it('a Redis store: location as given, key prefix and timeout defaulted, no path', () => {
    const { config } = loadConfig(fixture('store-redis.yaml'));
    expect(config.store).toEqual({
      kind: 'redis',
      url: undefined,
      cluster: undefined,
      sentinel: { name: 'xbmaster', sentinels: ['10.0.0.1:26379', '10.0.0.2:26379'] },
      password: { env: 'XB_REDIS_PASSWORD' },
      keyPrefix: DEFAULTS.store.keyPrefix,
      timeoutMs: DEFAULTS.store.timeoutMs,
      waitReplicas: 0,
    });
  });

  it('a missing file is XB_CFG_NOT_FOUND', () => {
    expect(() => loadConfig(fixture('no-such-file.yaml'))).toThrow(expect.objectContaining({ code: 'XB_CFG_NOT_FOUND' }));
  });
});

describe('broken configs', () => {
  it.each([
    { fixture: 'unknown-key.yaml', what: 'a misspelt key inside a section', says: /unknown key/ },
    { fixture: 'unknown-top-level-key.yaml', what: 'a misspelt top-level key', says: /unknown key/ },
    { fixture: 'wrong-type.yaml', what: 'a word where a port number belongs', says: /integer/ },
    { fixture: 'missing-required-key.yaml', what: 'a missing required key', says: /required/ },
    { fixture: 'duplicate-route-id.yaml', what: 'two routes with one id', says: /duplicate route id sg-logistics/ },
    { fixture: 'bad-upstream-scheme.yaml', what: 'an upstream that is not http(s)', says: /https\?/ },
    { fixture: 'bad-upstream-url.yaml', what: 'an upstream that is not a URL', says: /not a URL/ },
    { fixture: 'expires-before-effective.yaml', what: 'a filing that expires before it takes effect', says: /expires 2026-02-28 is before effective 2026-03-01/ },
    { fixture: 'several-defects.yaml', what: 'three reference defects, reported together', says: /duplicate route id/ },
    { fixture: 'several-schema-defects.yaml', what: 'three schema defects, reported together', says: /unknown key/ },
    { fixture: 'store-redis-defects.yaml', what: 'a redis store with two locations and a path', says: /exactly one of url, cluster, sentinel/ },
    { fixture: 'store-cluster-node-without-port.yaml', what: 'a cluster node without a port', says: /to match/ },
    { fixture: 'store-embedded-redis-keys.yaml', what: 'redis settings on the embedded store', says: /only for store.kind redis/ },
  ])('$what ($fixture) → XB_CFG_INVALID at the marked lines', ({ fixture: name, says }) => {
    const err = loadError(name);
    const expected = markers(name);
    expect(expected.length).toBeGreaterThan(0);
    expect(err.code).toBe('XB_CFG_INVALID');
    expect(err.message).toMatch(says);
    for (const { path, line } of expected) expect(err.message).toContain(`${shown(name)}:${line} ${path}: `);
    // Exactly the marked places: no error the fixture does not mark (one place may carry two messages).
    expect(new Set(locations(err))).toEqual(new Set(expected.map(({ path, line }) => `${shown(name)}:${line} ${path}`)));
  });
});

describe('regression: error messages lower-cased the pattern they quote', () => {
  // checkSchema used to lower-case TypeBox's whole message, so `country: sg` was refused with
  // "expected string to match '^[a-z]{2}$'", a pattern `sg` matches.
  it('quotes a pattern as the schema writes it', () => {
    const err = loadError('several-schema-defects.yaml');
    expect(err.message).toContain("routes[0].recipient.country: expected string to match '^[A-Z]{2}$'");
  });
});

describe('YAML errors', () => {
  it.each(['yaml-syntax-error.yaml', 'duplicate-key.yaml'])('%s is XB_CFG_INVALID naming the file', (name) => {
    const err = loadError(name);
    expect(err.code).toBe('XB_CFG_INVALID');
    expect(err.message).toContain(`${shown(name)}:`);
  });

  // Regression: YAML syntax errors were all reported at line 1 (the parser's positions were unused).
  it.each(['yaml-syntax-error.yaml', 'duplicate-key.yaml'])('%s is reported at the line of the error', (name) => {
    const err = loadError(name);
    const [marked] = markers(name);
    expect(marked).toBeDefined();
    expect(err.message).toContain(`${shown(name)}:${marked?.line} (root): `);
  });
});
