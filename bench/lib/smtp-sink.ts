import net from 'node:net';

/**
 * A minimal SMTP sink for benchmarks: answers every command at once and counts messages and their
 * recipients. (The test suites' smtp-server waits 100 ms before greeting, to catch early talkers,
 * which would add 100 ms to every email the plugin sends and measure the mail server, not us.)
 */
export async function startSmtpSink(): Promise<{
  port: number;
  count: () => number;
  recipients: Map<string, number>;
  close(): Promise<void>;
}> {
  let messages = 0;
  const recipients = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let inData = false;
    let buffer = '';
    let rcpt: string[] = [];
    socket.write('220 bench-sink ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          buffer = buffer.slice(end + 5);
          inData = false;
          messages += 1;
          for (const r of rcpt) recipients.set(r, (recipients.get(r) ?? 0) + 1);
          rcpt = [];
          socket.write('250 OK queued\r\n');
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === 'EHLO') socket.write('250-bench-sink\r\n250 8BITMIME\r\n');
        else if (cmd === 'HELO') socket.write('250 bench-sink\r\n');
        else if (cmd === 'RCPT') {
          rcpt.push((/<([^>]*)>/.exec(line)?.[1] ?? '').toLowerCase());
          socket.write('250 OK\r\n');
        } else if (cmd === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (cmd === 'QUIT') {
          socket.end('221 bye\r\n');
          return;
        } else socket.write('250 OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    count: () => messages,
    recipients,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
