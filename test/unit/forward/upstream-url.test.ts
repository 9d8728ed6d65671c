import { describe, expect, it } from 'vitest';
import { XbError } from '../../../agent/errors.js';
import { upstreamUrl } from '../../../agent/forward/index.js';

const api = new URL('https://logistics.example.com/api');

describe('upstreamUrl: the path after the route id stays under the route upstream', () => {
  it.each([
    ['/v1/orders?a=1', 'https://logistics.example.com/api/v1/orders?a=1'],
    ['', 'https://logistics.example.com/api/'],
    ['?page=2', 'https://logistics.example.com/api/?page=2'],
    ['/v1/../v2/x', 'https://logistics.example.com/api/v2/x'],
    // Leading slashes are dropped: a host after them is only a path segment under the upstream.
    ['//evil.example/x', 'https://logistics.example.com/api/evil.example/x'],
  ])('%j → %s', (path, expected) => {
    expect(upstreamUrl(api, path).href).toBe(expected);
  });

  it.each(['/http://evil.example/collect', '/https://evil.example/', '/\\\\evil.example/x', '/..', '/../other', '/%2e%2e/other', '/v1/../../other'])(
    '%j is refused with XB_ROUTE_PATH_INVALID',
    (path) => {
      let caught: unknown;
      try {
        upstreamUrl(api, path);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(XbError);
      expect((caught as XbError).code).toBe('XB_ROUTE_PATH_INVALID');
    },
  );

  it('an absolute target (forward-proxy mode, host already matched) is used as it is', () => {
    expect(upstreamUrl(api, 'http://logistics.example.com/other?x=1').href).toBe('http://logistics.example.com/other?x=1');
  });
});
