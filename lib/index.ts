/** ioreactor: a native readiness reactor with Python's `selectors` contract. */
export {
  AlreadyRegisteredError,
  BackendUnavailableError,
  BackendUnsupportedError,
  BrokenBarrierError,
  BusyResourceError,
  CancelledError,
  ClosedError,
  IncompleteReadError,
  InvalidArgumentError,
  InvalidStateError,
  IoreactorError,
  LimitOverrunError,
  NotRegisteredError,
  PartialSendError,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
  SystemError,
  type TaskFailure,
  TaskGroupError,
  TimeoutError,
} from './errors.js';
export type { SignalOptions } from './internal/args.js';
export { BaseSelector, type BackendName, type SelectResult } from './selectors/base-selector.js';
export {
  availableBackends,
  DefaultSelector,
  EpollSelector,
  KqueueSelector,
  PollSelector,
  SelectSelector,
} from './selectors/backends.js';
export type { FileObject } from './internal/fd.js';
export { EVENT_READ, EVENT_WRITE, type RegisterOptions, SelectorKey } from './selectors/selector-key.js';
export { Waker, type WakerHandle } from './selectors/waker.js';
export { SelectorMapping } from './selectors/selector-mapping.js';
export { BaseEventLoop } from './loop/base-event-loop.js';
export {
  type ChannelLoop,
  ThreadsafeChannel,
  type ThreadsafeChannelHandle,
  type ThreadsafeChannelOptions,
  ThreadsafeSender,
} from './loop/threadsafe.js';
export { type EventLoopOptions, type ExceptionContext, type ExceptionHandler, type IoCallback } from './loop/base-event-loop.js';
export { SocketEventLoop } from './net/event-loop.js';
export { EventLoop, getEventLoop } from './protocols/event-loop.js';
export {
  type CreateConnectionOptions,
  type CreateServerOptions,
  type CreateUnixConnectionOptions,
  type CreateUnixServerOptions,
} from './protocols/connect.js';
export { Server } from './protocols/server.js';
export {
  type ExecutorTask,
  getDefaultExecutor,
  runInExecutor,
  setDefaultExecutor,
  type ShutdownOptions,
  ThreadPoolExecutor,
  type ThreadPoolExecutorOptions,
  toThread,
} from './executor/executor.js';
export type { CreateDatagramEndpointOptions, DatagramAddress } from './protocols/datagram.js';
export type { ReadTransport, WriteTransport } from './protocols/pipe-transport.js';
export type {
  BaseProtocol,
  BaseTransport,
  BufferedProtocol,
  DatagramProtocol,
  DatagramTransport,
  Protocol,
  ProtocolFactory,
  Transport,
  WriteBufferLimits,
} from './protocols/types.js';
export { Handle, TimerHandle } from './loop/handle.js';
export { type ConnectAddress, type OpOptions, type SocketLike } from './net/socket-ops.js';
export { type BindAddress, Socket, type SocketFamily, type SocketOptions, type SocketType } from './net/socket.js';
export { Barrier } from './sync/barrier.js';
export { BoundedSemaphore, Condition, Event, Lock, Semaphore, type WaitOptions } from './sync/lock.js';
export { type Compare, LifoQueue, PriorityQueue, Queue } from './sync/queue.js';
export { type DoneCallback, Future } from './tasks/future.js';
export { run } from './tasks/run.js';
export { allTasks, createTask, Task, type TaskFunction, type TaskOptions } from './tasks/task.js';
export { TaskGroup, type TaskGroupOptions } from './tasks/task-group.js';
export { asCompleted, shield, sleep, timeout, timeoutAt } from './tasks/time.js';
export {
  type ClientConnectedCallback,
  openConnection,
  type OpenConnectionOptions,
  openUnixConnection,
  type OpenUnixConnectionOptions,
  startServer,
  type StartServerOptions,
  startUnixServer,
  type StartUnixServerOptions,
} from './streams/open.js';
export { type StreamConnectedCallback, StreamReaderProtocol } from './streams/stream-protocol.js';
export { StreamReader, type StreamReaderOptions } from './streams/stream-reader.js';
export { type StreamData, StreamWriter } from './streams/stream-writer.js';
