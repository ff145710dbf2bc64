/**
 * Run as a child process: does this build read and write SharedArrayBuffer-backed views
 * at their byteOffset? Exits 0 if every call moved the right bytes. A build that takes
 * the base address from a SharedArrayBuffer as NULL crashes or moves the wrong bytes
 * here, in a process nobody depends on, so the campaign can leave SAB cases out.
 */
import * as sys from '../../lib/sys.js';

function sabView(offset: number, length: number, fill: number): Uint8Array {
  const view = new Uint8Array(new SharedArrayBuffer(offset + length), offset, length);
  view.fill(fill);
  return view;
}

const [r, w] = sys.pipe();
const [a, b] = sys.socketpair();
let ok = true;
try {
  ok &&= sys.write(w, sabView(65536, 16, 7)) === 16;
  const into = sabView(4096, 16, 0);
  ok &&= sys.read(r, into) === 16 && into.every((x) => x === 7);
  ok &&= sys.send(a, sabView(8, 8, 9), 2, 4) === 4;
  const got = sabView(1 << 20, 8, 0);
  ok &&= sys.recvInto(b, got) === 4 && got[0] === 9 && got[4] === 0;
  ok &&= sys.sendv(a, [sabView(4096, 4, 5), sabView(16, 4, 6)]) === 8;
  const v = sys.recv(b, 8);
  ok &&= Buffer.isBuffer(v) && v.equals(Buffer.from([5, 5, 5, 5, 6, 6, 6, 6]));
} finally {
  for (const fd of [r, w, a, b]) sys.close(fd);
}
process.exit(ok ? 0 : 1);
