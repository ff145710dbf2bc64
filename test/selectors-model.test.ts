// Property-based test: random register/modify/unregister/write/drain/select/close
// sequences against a model of what a level-triggered selector must report.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AlreadyRegisteredError,
  ClosedError,
  EVENT_READ,
  EVENT_WRITE,
  InvalidArgumentError,
  NotRegisteredError,
} from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { backends, selectorClasses, useResources } from './helpers.js';

const kPairs = 3;

type Action =
  | { op: 'register'; slot: number; events: number; data: number }
  | { op: 'modify'; slot: number; events: number; data: number }
  | { op: 'unregister'; slot: number }
  | { op: 'write'; slot: number }
  | { op: 'drain'; slot: number }
  | { op: 'select' }
  | { op: 'close' };

const slot = fc.integer({ min: 0, max: 2 * kPairs - 1 });
// Includes invalid masks (0, 4) so error paths are exercised too.
const events = fc.integer({ min: 0, max: 4 });
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ op: fc.constant('register' as const), slot, events, data: fc.integer() }),
  fc.record({ op: fc.constant('modify' as const), slot, events, data: fc.integer() }),
  fc.record({ op: fc.constant('unregister' as const), slot }),
  fc.record({ op: fc.constant('write' as const), slot }),
  fc.record({ op: fc.constant('drain' as const), slot }),
  fc.constant({ op: 'select' as const }),
  fc.constant({ op: 'select' as const }),
  fc.constant({ op: 'close' as const }),
);

function validMask(mask: number): boolean {
  return mask === EVENT_READ || mask === EVENT_WRITE || mask === (EVENT_READ | EVENT_WRITE);
}

describe.each(backends)('%s selector against a model', (backend) => {
  const res = useResources();

  it('agrees with the model on every step', () => {
    const fds: number[] = [];
    for (let i = 0; i < kPairs; i++) fds.push(...res.socketpair());
    const peer = (i: number): number => fds[i ^ 1]!;
    const scratch = Buffer.alloc(4096);

    fc.assert(
      fc.property(fc.array(action, { maxLength: 40 }), (actions) => {
        const sel = new selectorClasses[backend]() as InstanceType<(typeof selectorClasses)['epoll']>;
        const model = new Map<number, { events: number; data: number }>();
        const pending = new Set<number>(); // fds with unread bytes
        let closed = false;
        try {
          for (const a of actions) {
            if (closed && a.op !== 'write' && a.op !== 'drain' && a.op !== 'close') {
              expect(() => {
                if (a.op === 'select') sel.select(0);
                else if (a.op === 'unregister') sel.unregister(fds[a.slot]!);
                else if (a.op === 'register') sel.register(fds[a.slot]!, a.events || 1);
                else sel.modify(fds[a.slot]!, a.events || 1);
              }).toThrow(ClosedError);
              continue;
            }
            switch (a.op) {
              case 'register': {
                const fd = fds[a.slot]!;
                if (!validMask(a.events)) {
                  expect(() => sel.register(fd, a.events, a.data)).toThrow(InvalidArgumentError);
                } else if (model.has(fd)) {
                  expect(() => sel.register(fd, a.events, a.data)).toThrow(AlreadyRegisteredError);
                } else {
                  const key = sel.register(fd, a.events, a.data);
                  expect(key).toMatchObject({ fd, events: a.events, data: a.data });
                  model.set(fd, { events: a.events, data: a.data });
                }
                break;
              }
              case 'modify': {
                const fd = fds[a.slot]!;
                if (!validMask(a.events)) {
                  expect(() => sel.modify(fd, a.events, a.data)).toThrow(InvalidArgumentError);
                } else if (!model.has(fd)) {
                  expect(() => sel.modify(fd, a.events, a.data)).toThrow(NotRegisteredError);
                } else {
                  expect(sel.modify(fd, a.events, a.data)).toMatchObject({ fd, events: a.events, data: a.data });
                  model.set(fd, { events: a.events, data: a.data });
                }
                break;
              }
              case 'unregister': {
                const fd = fds[a.slot]!;
                if (!model.has(fd)) {
                  expect(() => sel.unregister(fd)).toThrow(NotRegisteredError);
                } else {
                  expect(sel.unregister(fd).fd).toBe(fd);
                  model.delete(fd);
                }
                break;
              }
              case 'write':
                expect(sys.write(peer(a.slot), Buffer.from('x'))).toBe(1);
                pending.add(fds[a.slot]!);
                break;
              case 'drain':
                while (sys.read(fds[a.slot]!, scratch) > 0);
                pending.delete(fds[a.slot]!);
                break;
              case 'select': {
                const expected = [...model]
                  .map(([fd, m]) => [fd, ((pending.has(fd) ? EVENT_READ : 0) | EVENT_WRITE) & m.events] as const)
                  .filter(([, mask]) => mask !== 0)
                  .sort((x, y) => x[0] - y[0]);
                const actual = sel
                  .select(0)
                  .map(([key, mask]) => {
                    expect(key.data).toBe(model.get(key.fd)!.data);
                    return [key.fd, mask] as const;
                  })
                  .sort((x, y) => x[0] - y[0]);
                expect(actual).toEqual(expected);
                break;
              }
              case 'close':
                sel.close();
                closed = true;
                expect(sel.getMap()).toBeNull();
                break;
            }
            if (!closed) expect(sel.getMap()!.size).toBe(model.size);
          }
        } finally {
          sel.close();
          for (const fd of fds) while (sys.read(fd, scratch) > 0);
        }
      }),
      { numRuns: 150 },
    );
  });
});
