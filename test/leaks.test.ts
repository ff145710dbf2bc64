// No leaks: closed loops are collected, a Socket dropped without close() has its fd
// closed (with a warning in debug mode), a worker that exits leaves no socket fd behind.
// Each case runs in a child process with --expose-gc.
import { describe, expect, it } from 'vitest';
import { runScript } from './helpers.js';

const countFds = `
  const fdDir = require('node:fs').existsSync('/proc/self/fd') ? '/proc/self/fd' : '/dev/fd';
  const openFds = () => require('node:fs').readdirSync(fdDir).length;
  // Collects garbage and lets finalizers run until done() holds (at most ~10 s), then
  // returns: the caller's own checks report what is still missing.
  const settle = async (done) => {
    const deadline = Date.now() + 10_000;
    do {
      await new Promise((r) => setImmediate(r));
      gc();
      await new Promise((r) => setTimeout(r, 5));
    } while (!done() && Date.now() < deadline);
  };
  // For a baseline: settled once the fd count holds still across three rounds.
  const settleFds = async () => {
    let last = -1;
    let same = 0;
    await settle(() => {
      const now = openFds();
      same = now === last ? same + 1 : 0;
      last = now;
      return same >= 3;
    });
  };
`;

describe('no leaks', () => {
  it('a closed EventLoop is garbage-collected', async () => {
    const result = await runScript(
      `${countFds}
      (async () => {
        let collected = 0;
        const registry = new FinalizationRegistry(() => collected++);
        for (let i = 0; i < 200; i++) {
          const loop = new io.EventLoop();
          loop.callLater(10_000, () => {});
          registry.register(loop, i);
          loop.close();
        }
        await settle(() => collected >= 190);
        console.log('collected', collected);
      })();
    `,
      { nodeOptions: ['--expose-gc'] },
    );
    expect(result.stderr).toBe('');
    const collected = Number(/collected (\d+)/.exec(result.stdout)?.[1]);
    expect(collected).toBeGreaterThanOrEqual(190);
  });

  it('a Socket dropped without close() has its fd closed, with IOR_WARN_UNCLOSED in debug mode', async () => {
    const result = await runScript(
      `${countFds}
      process.on('warning', (w) => { if (w.code === 'IOR_WARN_UNCLOSED') warnings.push(w.message); });
      const warnings = [];
      (async () => {
        const loop = new io.EventLoop({ debug: true });
        const before = openFds();
        (function makeGarbage() {
          for (let i = 0; i < 500; i++) new io.Socket({ loop });
        })();
        const during = openFds();
        await settle(() => openFds() === before && warnings.length === 500);
        console.log(JSON.stringify({ opened: during - before, left: openFds() - before, warnings: warnings.length, sample: warnings[0] }));
        loop.close();
      })();
    `,
      { nodeOptions: ['--expose-gc', '--no-warnings'] },
    );
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as { opened: number; left: number; warnings: number; sample: string };
    expect(report.opened).toBe(500);
    expect(report.left).toBe(0);
    expect(report.warnings).toBe(500);
    expect(report.sample).toMatch(/garbage-collected without close\(\); created here:\n\s+at makeGarbage/);
  });

  it('a worker that exits or is terminated with open Sockets leaves no fd behind', async () => {
    const result = await runScript(
      `${countFds}
      const { Worker } = require('node:worker_threads');
      const code = \`
        const io = require(\${JSON.stringify(ROOT + '/dist/index.js')});
        const { parentPort } = require('node:worker_threads');
        const keep = [];
        for (let i = 0; i < 50; i++) {
          const s = new io.Socket();
          s.bind({ address: '127.0.0.1', port: 0 });
          s.listen();
          keep.push(s);
          keep.push(new io.Socket({ type: 'dgram' }));
        }
        parentPort.postMessage('ready');
        if (process.argv.includes('exit')) process.exit(0);
        setInterval(() => {}, 1000);
      \`;
      (async () => {
        // A first worker (no sockets) pays Node's one-time costs for workers.
        const warm = new Worker('', { eval: true });
        await new Promise((r) => warm.once('exit', r));
        await settleFds();
        const before = openFds();
        for (const how of ['exit', 'terminate']) {
          const worker = new Worker(code, { eval: true, argv: [how] });
          await new Promise((r) => worker.once('message', r));
          if (how === 'terminate') await worker.terminate();
          else await new Promise((r) => worker.once('exit', r));
        }
        await settle(() => openFds() <= before);
        console.log('leaked', openFds() - before);
      })();
    `,
      { nodeOptions: ['--expose-gc'] },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('leaked 0');
  });
});
