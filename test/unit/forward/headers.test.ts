import { describe, expect, it } from 'vitest';
import { endToEndHeaders, FORWARDING_HEADERS, upstreamRequestHeaders } from '../../../agent/forward/headers.js';

describe('endToEndHeaders', () => {
  it('drops hop-by-hop fields and every field Connection names, in any case and in repeated Connection values', () => {
    const out = endToEndHeaders({
      Connection: 'Keep-Alive, X-Hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      upgrade: 'h2c',
      'proxy-authorization': 'Basic x',
      host: 'internal',
      expect: '100-continue',
      'content-length': '10',
      'x-kept': 'yes',
    });
    expect(out).toEqual({ 'x-kept': 'yes' });
    expect(endToEndHeaders({ connection: ['close', 'x-a'] as unknown as string, 'x-a': '1', 'x-b': '2' })).toEqual({ 'x-b': '2' });
  });

  it('keeps a response content-length when asked', () => {
    expect(endToEndHeaders({ 'content-length': '10' }, true)).toEqual({ 'content-length': '10' });
  });
});

describe('upstreamRequestHeaders', () => {
  const incoming = { 'x-forwarded-for': '10.0.0.9', forwarded: 'for=10.0.0.9', 'x-real-ip': '10.0.0.9', via: '1.1 corp', 'x-kept': 'y' };

  it('strip removes every forwarding header', () => {
    const out = upstreamRequestHeaders(Object.fromEntries([...FORWARDING_HEADERS.map((h) => [h, 'v']), ['x-kept', 'y']]), 'strip', '10.1.1.1');
    expect(out).toEqual({ 'x-kept': 'y' });
  });

  it('pass keeps them as received and adds nothing', () => {
    expect(upstreamRequestHeaders(incoming, 'pass', '10.1.1.1')).toEqual(incoming);
  });

  it('append adds the client address to x-forwarded-for, joining repeated values', () => {
    expect(upstreamRequestHeaders(incoming, 'append', '10.1.1.1')['x-forwarded-for']).toBe('10.0.0.9, 10.1.1.1');
    expect(upstreamRequestHeaders({ 'x-forwarded-for': ['a', 'b'] }, 'append', 'c')['x-forwarded-for']).toBe('a, b, c');
    expect(upstreamRequestHeaders({}, 'append', 'c')['x-forwarded-for']).toBe('c');
    expect(upstreamRequestHeaders({}, 'append', undefined)['x-forwarded-for']).toBeUndefined();
  });
});
