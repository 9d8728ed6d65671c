/** Opening a Redis store that is not there fails at once with a clear XB_STORE_UNAVAILABLE. */
import { describe, expect, it } from 'vitest';
import { openRedisStore } from '../../../agent/count/store/redis.js';
import { XbError } from '../../../agent/errors.js';
import { freePort } from '../../helpers/redis.js';

describe('opening a Redis store', () => {
  it('that nothing listens for: XB_STORE_UNAVAILABLE naming where, without the password', async () => {
    const port = await freePort();
    const err = await openRedisStore({ url: `redis://:s3cret@127.0.0.1:${port}`, keyPrefix: 'xb', timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XbError);
    expect((err as XbError).code).toBe('XB_STORE_UNAVAILABLE');
    expect((err as XbError).message).toContain(`127.0.0.1:${port}`);
    expect((err as XbError).message).not.toContain('s3cret');
  });
});
