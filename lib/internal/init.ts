/** Hands the error classes to the addon so native code throws the same classes as TypeScript. */
import { InvalidArgumentError, SystemError } from '../errors.js';
import { native, type NativeLoop, type NativeSelector } from '../native.js';

native.init({ SystemError, InvalidArgumentError });

export { native, type NativeLoop, type NativeSelector };
