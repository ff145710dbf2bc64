// Both build paths build the same sources, and the package loads as ESM and CommonJS.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { availableBackends } from '../lib/index.js';

const root = path.resolve(__dirname, '..');

function gypSources(): string[] {
  const gyp = JSON.parse(readFileSync(path.join(root, 'binding.gyp'), 'utf8')) as {
    targets: { target_name: string; sources: string[] }[];
  };
  return gyp.targets.find((t) => t.target_name === 'ioreactor')!.sources;
}

function cmakeSources(): string[] {
  const text = readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
  const lists = ['IOR_CORE_SOURCES', 'IOR_ADDON_SOURCES'].map((name) => {
    const match = new RegExp(`set\\(${name}\\s+([^)]*)\\)`).exec(text);
    expect(match, name).not.toBeNull();
    return match![1]!.split(/\s+/).filter(Boolean);
  });
  return lists.flat();
}

describe('build configuration', () => {
  it('binding.gyp and CMakeLists.txt list the same sources', () => {
    expect([...cmakeSources()].sort()).toEqual([...gypSources()].sort());
    expect(gypSources().length).toBeGreaterThan(5);
  });

  it('every native .cc file is in the build', () => {
    const listed = new Set(gypSources());
    const files = execFileSync('git', ['ls-files', 'native'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.endsWith('.cc'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(listed.has(file), file).toBe(true);
  });
});

describe('package entry points', () => {
  it('works with import and require, including ioreactor/sys', () => {
    const esm = `
      import { DefaultSelector, EVENT_READ, EVENT_WRITE, availableBackends, SystemError } from 'ioreactor';
      import { socketpair, close } from 'ioreactor/sys';
      const sel = new DefaultSelector();
      const [a, b] = socketpair();
      sel.register(b, EVENT_WRITE);
      console.log(JSON.stringify([availableBackends()[0], sel.select(0).length, typeof SystemError, EVENT_READ]));
      sel.close(); close(a); close(b);
    `;
    const cjs = `
      const io = require('ioreactor');
      const sys = require('ioreactor/sys');
      const sel = new io.DefaultSelector();
      const [a, b] = sys.socketpair();
      sel.register(b, io.EVENT_WRITE);
      console.log(JSON.stringify([io.availableBackends()[0], sel.select(0).length, typeof io.SystemError, io.EVENT_READ]));
      sel.close(); sys.close(a); sys.close(b);
    `;
    const expected = JSON.stringify([availableBackends()[0], 1, 'function', 1]);
    const fromEsm = execFileSync(process.execPath, ['--input-type=module', '-e', esm], { cwd: root, encoding: 'utf8' });
    const fromCjs = execFileSync(process.execPath, ['-e', cjs], { cwd: root, encoding: 'utf8' });
    expect(fromEsm.trim()).toBe(expected);
    expect(fromCjs.trim()).toBe(expected);
  });

  it('ships type declarations for both entry points', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    for (const entry of ['.', './sys']) {
      const types = pkg.exports[entry].types as string;
      expect(readFileSync(path.join(root, types), 'utf8')).toMatch(/export/);
    }
    expect(readFileSync(path.join(root, 'dist/index.d.ts'), 'utf8')).toContain('DefaultSelector');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist/', 'prebuilds/', 'binding.gyp', 'native/']));
  });

  it('names every path it tried when the addon is missing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ioreactor-missing-'));
    try {
      cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
      cpSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
      const result = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(dir, 'dist/index.js'))})`], {
        encoding: 'utf8',
        env: { ...process.env, IOREACTOR_NATIVE_PATH: '' },
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('could not load the native addon');
      expect(result.stderr).toContain(path.join(dir, 'build/Release/ioreactor.node'));
      expect(result.stderr).toContain(path.join(dir, 'build/Debug/ioreactor.node'));
      expect(result.stderr).toContain(path.join(dir, 'prebuilds', `${process.platform}-${process.arch}`));
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
