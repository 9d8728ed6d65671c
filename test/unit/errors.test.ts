/**
 * The error catalogue and its documentation stay in step: every code in agent/errors.ts is
 * listed in docs/errors.md, and docs/errors.md lists no code that does not exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS, XbError, problemType, toProblem, toXbError } from '../../agent/errors.js';
import { PACKAGE_ROOT } from '../../agent/package-root.js';

const DOC = join(PACKAGE_ROOT, 'docs', 'errors.md');
const CODES = Object.keys(ERRORS).sort();

describe('docs/errors.md', () => {
  it('lists exactly the codes of agent/errors.ts', () => {
    expect(existsSync(DOC), 'docs/errors.md must exist and list every XB_ code').toBe(true);
    const documented = [...new Set(readFileSync(DOC, 'utf8').match(/\bXB_[A-Z0-9_]*[A-Z0-9]\b/g) ?? [])].sort();
    const undocumented = CODES.filter((c) => !documented.includes(c));
    const unknown = documented.filter((c) => !CODES.includes(c));
    expect({ undocumented, unknown }).toEqual({ undocumented: [], unknown: [] });
  });
});

describe('the catalogue', () => {
  it('names every code XB_<AREA>_<WHAT> (XB_INTERNAL is the one catch-all without a WHAT)', () => {
    for (const code of CODES) expect(code).toMatch(code === 'XB_INTERNAL' ? /^XB_INTERNAL$/ : /^XB_[A-Z]+_[A-Z0-9_]+$/);
  });

  it('gives every code an HTTP error status and a title', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.status, code).toBeLessThan(600);
      expect(spec.title.length, code).toBeGreaterThan(0);
    }
  });

  it('refuses a blocked transfer with 451', () => {
    expect(ERRORS.XB_DECISION_BLOCKED.status).toBe(451);
  });

  it('maps a failure to a problem body with code and transferId, null when there is none', () => {
    const err = new XbError('XB_BODY_TOO_LARGE', 'body is 20 MiB; the limit is 16 MiB', { limitBytes: 16 });
    expect(toProblem(err, 't-1')).toEqual({
      type: problemType('XB_BODY_TOO_LARGE'),
      title: ERRORS.XB_BODY_TOO_LARGE.title,
      status: 413,
      code: 'XB_BODY_TOO_LARGE',
      detail: 'body is 20 MiB; the limit is 16 MiB',
      transferId: 't-1',
      limitBytes: 16,
    });
    expect(toProblem(err, undefined).transferId).toBeNull();
  });

  it('turns an unknown fault into XB_INTERNAL, keeping the cause', () => {
    const cause = new TypeError('boom');
    const err = toXbError(cause);
    expect(err.code).toBe('XB_INTERNAL');
    expect(err.status).toBe(500);
    expect(err.cause).toBe(cause);
    const known = new XbError('XB_ROUTE_NOT_FOUND', 'no route');
    expect(toXbError(known)).toBe(known);
  });
});
