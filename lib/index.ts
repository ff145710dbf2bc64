/** ioreactor: a native readiness reactor with Python's `selectors` contract. */
export {
  AlreadyRegisteredError,
  BackendUnavailableError,
  BackendUnsupportedError,
  ClosedError,
  InvalidArgumentError,
  IoreactorError,
  NotRegisteredError,
  SystemError,
} from './errors.js';
export { BaseSelector, type BackendName, type SelectResult } from './selectors/base-selector.js';
export {
  availableBackends,
  DefaultSelector,
  EpollSelector,
  KqueueSelector,
  PollSelector,
  SelectSelector,
} from './selectors/backends.js';
export type { FileObject } from './selectors/file-object.js';
export { EVENT_READ, EVENT_WRITE, SelectorKey } from './selectors/selector-key.js';
export { SelectorMapping } from './selectors/selector-mapping.js';
export {
  EventLoop,
  type EventLoopOptions,
  type ExceptionContext,
  type ExceptionHandler,
  getEventLoop,
  type IoCallback,
} from './loop/event-loop.js';
export { Handle, TimerHandle } from './loop/handle.js';
