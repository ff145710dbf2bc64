/**
 * Debug mode for tasks: timing each task step (the synchronous run between two awaits)
 * and naming the task in reports.
 *
 * A task wraps an async function, whose steps are not visible from outside: each one is a
 * V8 promise reaction job. In debug mode a task runs its function inside its own
 * `AsyncResource`; an `async_hooks` hook (installed only while debug-mode tasks exist,
 * so nothing runs when debug mode is off) marks every async resource created while a
 * task's code runs — its promises, timers, ticks — as that task's, and times each
 * callback or promise job run with such a mark, between the hook's `before` and `after`.
 * That is exactly one step of the task's async function (or of an async function it
 * called, which belongs to the same step chain). Time spent in a nested run belonging
 * to another task (a child task's first step starts inside its parent's step) is
 * subtracted from the enclosing step.
 */
import { type AsyncHook, AsyncResource, createHook, executionAsyncResource } from 'node:async_hooks';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BaseEventLoop } from '../loop/base-event-loop.js';

/** What the hook knows about a task created in debug mode. */
export interface DebugInfo {
  readonly name: string;
  readonly site: string;
  readonly loop: BaseEventLoop;
}

const kOwner = Symbol('ioreactor.task');

interface Frame {
  id: number;
  owner: DebugInfo | undefined;
  start: number;
  excluded: number;
}

let hook: AsyncHook | null = null;
let live = 0;
const frames: Frame[] = [];
let reporting = false;

function ownerOf(resource: object): DebugInfo | undefined {
  return (resource as { [kOwner]?: DebugInfo })[kOwner];
}

function init(_id: number, _type: string, _trigger: number, resource: object): void {
  if (reporting) return;
  const owner = ownerOf(executionAsyncResource());
  if (owner !== undefined) (resource as { [kOwner]?: DebugInfo })[kOwner] = owner;
}

function before(id: number): void {
  frames.push({ id, owner: ownerOf(executionAsyncResource()), start: performance.now(), excluded: 0 });
}

function after(id: number): void {
  // An after() without its before() (the hook went on inside that run) is ignored.
  if (frames.length === 0 || frames[frames.length - 1]!.id !== id) return;
  const frame = frames.pop()!;
  const now = performance.now();
  const parent = frames[frames.length - 1];
  const owner = frame.owner;
  if (owner === undefined) return;
  if (parent !== undefined && parent.owner !== owner) parent.excluded += now - frame.start;
  if (parent !== undefined && parent.owner === owner) return; // the enclosing run counts it
  const elapsed = now - frame.start - frame.excluded;
  const loop = owner.loop;
  if (elapsed > loop.slowCallbackDuration && loop.debug && !loop.closed) {
    reporting = true;
    try {
      process.emitWarning(
        `Task '${owner.name}' ran ${elapsed.toFixed(1)} ms without awaiting (slowCallbackDuration is ` +
          `${loop.slowCallbackDuration} ms): a blocking call in a task stops every other task and callback. ` +
          `The task was created at:\n${owner.site}`,
        { type: 'IoreactorWarning', code: 'IOR_WARN_SLOW_TASK_STEP' },
      );
    } finally {
      reporting = false;
    }
  }
}

/**
 * @internal Runs `fn(arg)` as the first step of a debug-mode task, with the hook on, so
 * that this step and every later one is timed. Call {@link releaseDebug} when the task
 * is done.
 */
export function runTracked<A, R>(info: DebugInfo, fn: (arg: A) => R, arg: A): R {
  if (live++ === 0) {
    hook ??= createHook({ init, before, after });
    hook.enable();
  }
  const resource = new AsyncResource('ioreactor.Task', { requireManualDestroy: true });
  (resource as unknown as { [kOwner]?: DebugInfo })[kOwner] = info;
  return resource.runInAsyncScope(fn, null, arg);
}

/** @internal A debug-mode task is done: the hook goes off with the last one. */
export function releaseDebug(): void {
  if (--live === 0) {
    hook?.disable();
    frames.length = 0;
  }
}

// The package's own frames (lib/ or dist/) are left out of creation sites.
const kOwnFrames = path.dirname(__dirname);

/**
 * @internal Where the caller of the public function was, for debug reports: the first
 * stack frames outside the package (createTask, TaskGroup.createTask, run()).
 */
export function creationSite(): string {
  const stack = new Error().stack ?? '';
  return stack
    .split('\n')
    .slice(1)
    .filter((line) => !line.includes(kOwnFrames))
    .slice(0, 6)
    .join('\n');
}
