#!/usr/bin/env bash
# Builds the addon and the native unit tests with AddressSanitizer and UBSan, then
# runs the native tests, every test file and a 100,000-operation fuzz campaign against the
# sanitized addon.
# Fails on any sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=address,undefined
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== native unit tests (${sanitizers})"
cmake -S . -B build-native-test -DIOR_BUILD_TESTS=ON -DIOR_SANITIZE="$sanitizers" >/dev/null
cmake --build build-native-test -j2 >/dev/null
(cd build-native-test && ctest --output-on-failure)

echo "== addon (${sanitizers}) under vitest"
# configure first: `compile` alone keeps the options an existing build-asan/ was
# configured with, so the test hooks could silently stay off.
asan_flags=(--out build-asan --debug --CDIOR_SANITIZE="$sanitizers" --CDIOR_TEST_HOOKS=ON)
npx cmake-js configure "${asan_flags[@]}" >/dev/null
npx cmake-js build "${asan_flags[@]}" >/dev/null
addon=$(find build-asan -name ioreactor.node | head -n 1)
# Node is not built with ASan, so the runtime is preloaded. Leak checking is off:
# V8 and Node keep allocations alive until exit by design.
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export IOREACTOR_NATIVE_PATH="$PWD/$addon"
set +e
# Every test file (teardown paths included: workers, loop lifetime, tasks, EMFILE), then
# the fixed-seed fuzz campaign at 100,000 operations.
npx vitest run 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
IOR_FUZZ_OPS=100000 npx vitest run test/fuzz.test.ts 2>&1 | tee -a "$log"
fuzz_status=${PIPESTATUS[0]}
[ "$status" -ne 0 ] || status=$fuzz_status
set -e
if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$log"; then
  echo "sanitizer reported errors" >&2
  exit 1
fi
exit "$status"
