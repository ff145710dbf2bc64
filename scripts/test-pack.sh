#!/usr/bin/env bash
# The package as users install it: `npm pack` (which runs prepack: TypeScript + this platform's
# prebuild) from a clean copy of the working tree, a look at the tarball's file list, then
# `npm install <tarball>` into an empty project with every compiler replaced by one that fails.
# Passes only if the addon was not compiled (no build/ directory, no compiler called) and
# 'ioreactor' and 'ioreactor/sys' work from CommonJS and from ESM.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/ioreactor-pack.XXXXXX")"
trap 'rm -rf "$work"' EXIT
src="$work/src" pack="$work/pack" app="$work/app" nocc="$work/nocc"
mkdir -p "$src" "$pack" "$app" "$nocc"

say() { printf '== test-pack: %s\n' "$*"; }
fail() { printf 'test-pack FAILED: %s\n' "$*" >&2; exit 1; }

# 1. A clean copy: tracked and untracked-but-not-ignored files, so stale dist/, prebuilds/ and
#    build output of this tree cannot leak into the tarball (and the shared build/ is untouched).
#    TEST_PACK_REF=<commit> packs that commit (git archive) instead of the working tree.
if [ -n "${TEST_PACK_REF:-}" ]; then
  git -C "$root" archive --format=tar "$TEST_PACK_REF" | tar -C "$src" -xf -
elif git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$root" && git ls-files -z -co --exclude-standard) |
    while IFS= read -r -d '' f; do
      [[ -e "$root/$f" && "$f" != build*/* ]] && printf '%s\0' "$f"
    done |
    tar -C "$root" --null -T - -cf - | tar -C "$src" -xf -
else
  fail "$root is not a git work tree (the clean copy is made from git ls-files)"
fi
ln -s "$root/node_modules" "$src/node_modules"

say "npm pack (prepack builds dist/ and the prebuild)"
(cd "$src" && env -u IOREACTOR_NATIVE_PATH npm pack --pack-destination "$pack" >"$work/pack.log" 2>&1) ||
  { cat "$work/pack.log" >&2; fail "npm pack"; }
tarball="$(ls "$pack"/ioreactor-*.tgz)"

# 2. The tarball's contents.
tar -tzf "$tarball" | sed 's|^package/||' | sort >"$work/files.txt"
plat="$(node -p 'process.platform + "-" + process.arch')"
for f in package.json README.md binding.gyp CMakeLists.txt native/binding.cc \
  dist/index.js dist/index.d.ts dist/sys.js dist/sys.d.ts dist/native.js; do
  grep -qxF "$f" "$work/files.txt" || fail "tarball lacks $f"
done
grep -q "^prebuilds/$plat/.*\.node$" "$work/files.txt" || fail "tarball lacks a prebuilds/$plat/*.node"
junk="$(grep -E '^(test|bench|examples|scripts|lib|build[^/]*|\.ci|\.github|node_modules)/|\.(o|a|tgz|log)$|test-results\.json$' \
  "$work/files.txt" || true)"
[ -z "$junk" ] || fail "tarball holds files users must not get:"$'\n'"$junk"
say "tarball $(basename "$tarball"): $(wc -l <"$work/files.txt") files, $(du -k "$tarball" | cut -f1) KiB;" \
  "$(grep -c '^dist/' "$work/files.txt") in dist/, $(grep -c '^native/' "$work/files.txt") in native/, prebuilds:" \
  "$(grep '^prebuilds/' "$work/files.txt" | tr '\n' ' ')"

# 3. Install into an empty project. Any compiler or make invocation is logged and fails.
for tool in cc gcc c++ g++ clang clang++ make cmake; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/compiler-calls.log"\necho "test-pack: %s called during install" >&2\nexit 1\n' \
    "$tool" "$work" "$tool" >"$nocc/$tool"
  chmod +x "$nocc/$tool"
done
say "npm install the tarball with compilers disabled"
(cd "$app" && npm init -y >/dev/null &&
  env -u IOREACTOR_NATIVE_PATH PATH="$nocc:$PATH" CC="$nocc/cc" CXX="$nocc/c++" \
    npm_config_build_from_source=false \
    npm install --no-audit --no-fund --foreground-scripts "$tarball" >"$work/install.log" 2>&1) ||
  { cat "$work/install.log" >&2; fail "npm install of the tarball"; }
[ ! -s "$work/compiler-calls.log" ] || fail "a compiler ran during install: $(cat "$work/compiler-calls.log")"
[ ! -e "$app/node_modules/ioreactor/build" ] || fail "node_modules/ioreactor/build exists: the addon was compiled"

# 4. Load it from CommonJS and ESM; the binary must be the shipped prebuild.
cat >"$app/check.cjs" <<'EOF'
const assert = require('node:assert');
const path = require('node:path');
const io = require('ioreactor');
const sys = require('ioreactor/sys');
const pkgDir = path.dirname(require.resolve('ioreactor/package.json'));
const binary = require('node-gyp-build').path(pkgDir);
assert.ok(binary.includes(`${path.sep}prebuilds${path.sep}`), `loaded ${binary}, not a prebuild`);
const [a, b] = sys.socketpair();
const sel = new io.DefaultSelector();
sel.register(b, io.EVENT_READ, 'b');
assert.strictEqual(sel.select(0).length, 0);
assert.strictEqual(sys.write(a, Buffer.from('x')), 1);
const ready = sel.select(1000);
assert.strictEqual(ready.length, 1);
assert.strictEqual(ready[0][0].data, 'b');
assert.strictEqual(ready[0][1], io.EVENT_READ);
sel.unregister(b);
sel.close();
sys.close(a);
sys.close(b);
console.log(`CJS ok: ${sel.constructor.name}, ${path.relative(pkgDir, binary)}`);
EOF
cat >"$app/check.mjs" <<'EOF'
import assert from 'node:assert';
import { DefaultSelector, EVENT_READ } from 'ioreactor';
import { socketpair, write, close } from 'ioreactor/sys';
const [a, b] = socketpair();
const sel = new DefaultSelector();
sel.register(b, EVENT_READ, 'b');
assert.strictEqual(write(a, new Uint8Array([1])), 1);
const ready = sel.select(1000);
assert.deepStrictEqual(ready.map(([key, events]) => [key.data, events]), [['b', EVENT_READ]]);
sel.unregister(b);
sel.close();
close(a);
close(b);
console.log(`ESM ok: ${sel.constructor.name}`);
EOF
(cd "$app" && env -u IOREACTOR_NATIVE_PATH node check.cjs && env -u IOREACTOR_NATIVE_PATH node check.mjs) ||
  fail "loading the installed package"
[ ! -e "$app/node_modules/ioreactor/build" ] || fail "node_modules/ioreactor/build appeared while loading"

# 5. A prebuild needs no install script: the same checks after `npm install --ignore-scripts`.
say "npm install --ignore-scripts the tarball"
app2="$work/app2"
mkdir -p "$app2" && cp "$app/check.cjs" "$app/check.mjs" "$app2/"
(cd "$app2" && npm init -y >/dev/null &&
  npm install --no-audit --no-fund --ignore-scripts "$tarball" >"$work/install2.log" 2>&1) ||
  { cat "$work/install2.log" >&2; fail "npm install --ignore-scripts of the tarball"; }
(cd "$app2" && env -u IOREACTOR_NATIVE_PATH node check.cjs && env -u IOREACTOR_NATIVE_PATH node check.mjs) ||
  fail "loading the package installed with --ignore-scripts"
say "passed: installed from the tarball without compiling; CJS and ESM load the prebuild"
