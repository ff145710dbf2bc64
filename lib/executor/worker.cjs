'use strict';
// Runs inside each worker thread of a ThreadPoolExecutor (piscina loads it; plain
// JavaScript so that it works both from lib/ and from the compiled dist/). It loads the
// caller's module, picks the named export and calls it with the arguments.
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const functions = new Map();

async function load(filename) {
  if (path.extname(filename) !== '.mjs') {
    try {
      // CommonJS, and TypeScript when a require hook (e.g. tsx/cjs) is in execArgv.
      return require(filename);
    } catch (error) {
      if (error === null || typeof error !== 'object' || error.code !== 'ERR_REQUIRE_ESM') throw error;
    }
  }
  return import(pathToFileURL(filename).href);
}

async function resolve(filename, name) {
  const key = `${name}\0${filename}`;
  let fn = functions.get(key);
  if (fn !== undefined) return fn;
  const mod = await load(filename);
  fn = mod == null ? undefined : mod[name];
  // A CommonJS module seen through import(): its exports are on `default`.
  if (typeof fn !== 'function' && mod != null && mod.default != null && name !== 'default') fn = mod.default[name];
  if (typeof fn !== 'function' && name === 'default' && typeof mod === 'function') fn = mod;
  if (typeof fn !== 'function') {
    // The prefix tells the calling thread to raise an InvalidArgumentError (an error's
    // own properties do not survive the trip between threads).
    throw new TypeError(`[IOR_ERR_INVALID_ARG] ${filename} has no export '${name}' that is a function (got ${typeof fn})`);
  }
  functions.set(key, fn);
  return fn;
}

module.exports = async function runCall(call) {
  const fn = await resolve(call.filename, call.name);
  return fn(...call.args);
};
