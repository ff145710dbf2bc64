// Compile-time contracts, checked by `npm run typecheck` (part of `npm test`): the lines
// marked as expected errors must fail to compile, or the typecheck fails.
import { describe, expect, it } from 'vitest';
import { DefaultSelector, EVENT_READ } from '../lib/index.js';
import * as sys from '../lib/sys.js';

describe('types', () => {
  it('errno has literal keys; a key holds the data its type says', () => {
    expect(sys.errno.EAGAIN).toBeLessThan(0);
    // @ts-expect-error a misspelt errno name does not compile
    expect(sys.errno.EAGIAN).toBeUndefined();

    const [a, b] = sys.socketpair();
    using typed = new DefaultSelector<string>();
    // @ts-expect-error data is required when the data type excludes undefined
    expect(() => typed.register(a, EVENT_READ)).not.toThrow();
    typed.unregister(a);
    const key = typed.register(a, EVENT_READ, 'session');
    const data: string = key.data;
    expect(data).toBe('session');
    using loose = new DefaultSelector();
    expect(loose.register(b, EVENT_READ).data).toBeUndefined();
    sys.close(a);
    sys.close(b);
  });
});
