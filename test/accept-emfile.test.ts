// Accept at the open-file limit: no busy loop, and accepting resumes once fds are free.
// Runs in a child process because it lowers RLIMIT_NOFILE.
import { describe, expect, it } from 'vitest';
import { runScript } from './helpers.js';

describe('sockAccept at the open-file limit', () => {
  it('neither spins nor stops accepting', async () => {
    const r = await runScript(`
      const loop = io.getEventLoop();
      const server = new io.Socket();
      server.bind({ address: '127.0.0.1', port: 0 });
      server.listen(64);
      const port = server.localAddress.port;
      // Five connections wait in the backlog before the limit is reached.
      const clients = [];
      for (let i = 0; i < 5; i++) {
        const fd = sys.socket(sys.AF_INET, sys.SOCK_STREAM);
        sys.connect(fd, { family: 'IPv4', address: '127.0.0.1', port });
        clients.push(fd);
      }
      const [spareR, spareW] = sys.pipe();
      const { soft } = sys.getrlimitNofile();
      sys.setrlimitNofile(128);
      // One fd at a time, so the table is full whatever the parity of the free slots.
      const filler = [];
      try { for (;;) filler.push(sys.dup(spareR)); } catch (e) { if (e.code !== 'EMFILE') throw e; }
      let accepted = 0;
      let allAccepted;
      const allAcceptedP = new Promise((resolve) => (allAccepted = resolve));
      const acceptor = io.createTask(async (signal) => {
        for (;;) {
          const [conn] = await server.accept({ signal });
          accepted++;
          conn.close();
          if (accepted === clients.length) allAccepted();
        }
      });
      (async () => {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await io.sleep(600);
        const cpu = process.cpuUsage(cpu0);
        const busy = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
        const acceptedAtLimit = accepted;
        for (const fd of filler.splice(0)) sys.close(fd);
        sys.setrlimitNofile(soft);
        // Bounded: a stuck acceptor shows up as accepted < 5, not as a hung child.
        const giveUp = new AbortController();
        await Promise.race([allAcceptedP, io.sleep(5000, { signal: giveUp.signal }).catch(() => {})]);
        giveUp.abort();
        acceptor.cancel();
        await acceptor.catch(() => {});
        server.close();
        for (const fd of clients) sys.close(fd);
        sys.close(spareR);
        sys.close(spareW);
        console.log(JSON.stringify({ acceptedAtLimit, accepted, busy }));
        loop.close();
      })();
    `);
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout) as { acceptedAtLimit: number; accepted: number; busy: number };
    expect(result.acceptedAtLimit).toBe(0);
    expect(result.accepted).toBe(5);
    // A spinning accept loop would use ~100 % of a core over the 600 ms at the limit.
    expect(result.busy).toBeLessThan(0.5);
  });
});

describe('a protocol Server at the open-file limit', () => {
  it('backs off instead of spinning, and serves the backlog once fds are free', async () => {
    const r = await runScript(`
      const loop = io.getEventLoop();
      let made = 0;
      let allMade;
      const allMadeP = new Promise((resolve) => (allMade = resolve));
      (async () => {
        const server = await loop.createServer(() => ({
          connectionMade(t) {
            made++;
            t.close();
            if (made === 5) allMade();
          },
        }), { host: '127.0.0.1', port: 0, backlog: 64 });
        const port = server.sockets[0].localAddress.port;
        const [spareR, spareW] = sys.pipe();
        const { soft } = sys.getrlimitNofile();
        sys.setrlimitNofile(128);
        const filler = [];
        try { for (;;) filler.push(sys.dup(spareR)); } catch (e) { if (e.code !== 'EMFILE') throw e; }
        // Connect with fds freed just for the clients, then fill the table again.
        const clients = [];
        for (let i = 0; i < 5; i++) {
          sys.close(filler.pop());
          const fd = sys.socket(sys.AF_INET, sys.SOCK_STREAM);
          sys.connect(fd, { family: 'IPv4', address: '127.0.0.1', port });
          clients.push(fd);
        }
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await io.sleep(600);
        const cpu = process.cpuUsage(cpu0);
        const busy = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
        const madeAtLimit = made;
        for (const fd of filler.splice(0)) sys.close(fd);
        sys.setrlimitNofile(soft);
        const giveUp = new AbortController();
        await Promise.race([allMadeP, io.sleep(5000, { signal: giveUp.signal }).catch(() => {})]);
        giveUp.abort();
        server.close();
        await server.waitClosed();
        for (const fd of clients) sys.close(fd);
        sys.close(spareR);
        sys.close(spareW);
        console.log(JSON.stringify({ madeAtLimit, made, busy }));
        loop.close();
      })();
    `);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { madeAtLimit: number; made: number; busy: number };
    expect(out.madeAtLimit).toBe(0);
    // A reader left on the still-readable listener would spin at ~100 % of a core.
    expect(out.busy).toBeLessThan(0.5);
    expect(out.made).toBe(5);
  });
});
