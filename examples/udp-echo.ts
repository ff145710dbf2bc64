/**
 * A UDP echo server and client on transports and protocols: the server is an unconnected
 * endpoint that sends every datagram back to whoever sent it; the client is connected
 * (remoteAddress), so it sends without naming the address and hears only the server.
 *
 * Run: npx tsx examples/udp-echo.ts
 */
import { type DatagramProtocol, type DatagramTransport, getEventLoop, run } from '../lib/index.js';
import type { InetAddress, SocketAddress } from '../lib/sys.js';

class EchoServer implements DatagramProtocol {
  transport!: DatagramTransport;
  connectionMade(transport: DatagramTransport): void {
    this.transport = transport;
  }
  datagramReceived(data: Buffer, from: SocketAddress): void {
    this.transport.sendTo(data, from);
  }
}

class Client implements DatagramProtocol {
  replies: string[] = [];
  #waiting: (() => void) | null = null;
  datagramReceived(data: Buffer): void {
    this.replies.push(data.toString());
    this.#waiting?.();
  }
  errorReceived(error: Error): void {
    console.error('client error:', error.message);
  }
  /** Resolves once `count` replies have arrived. */
  async replied(count: number): Promise<void> {
    while (this.replies.length < count) await new Promise<void>((resolve) => (this.#waiting = resolve));
  }
}

run(async () => {
  const loop = getEventLoop();
  const [server] = await loop.createDatagramEndpoint(() => new EchoServer(), {
    localAddress: { host: '127.0.0.1', port: 0 },
  });
  const { port } = server.getExtraInfo('sockname') as InetAddress;
  const [client, protocol] = await loop.createDatagramEndpoint(() => new Client(), {
    remoteAddress: { host: 'localhost', port },
    family: 'IPv4',
  });
  const messages = ['ping 1', 'ping 2', 'ping 3', 'ping 4', 'ping 5'];
  for (const message of messages) client.sendTo(Buffer.from(message));
  // UDP may drop datagrams in general; on loopback with a few small ones it does not.
  await protocol.replied(messages.length);
  for (const reply of protocol.replies) console.log(`reply: ${reply}`);
  const ok = messages.every((m) => protocol.replies.includes(m));
  client.close();
  server.close();
  console.log(`udp-echo: ${protocol.replies.length} datagrams echoed on port ${port}${ok ? '' : ' (mismatch)'}`);
});
