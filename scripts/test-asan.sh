#!/usr/bin/env bash
# Builds the addon and the native unit tests with AddressSanitizer and UBSan, then
# runs the native tests and the selector test files against the sanitized addon.
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
npx vitest run test/selectors-contract.test.ts test/selectors-backends.test.ts \
  test/selectors-scale.test.ts test/selectors-model.test.ts test/eintr.test.ts \
  test/sys.test.ts test/sys-sockets.test.ts test/errors.test.ts test/loop-callbacks.test.ts \
  test/loop-io.test.ts test/net-ops.test.ts 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$log"; then
  echo "sanitizer reported errors" >&2
  exit 1
fi
exit "$status"
