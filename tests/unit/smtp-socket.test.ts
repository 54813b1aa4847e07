import { createRequire } from 'node:module';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

// The nodemailer Strapi's email provider uses (the one the test app and the demo send through).
const providerRequire = createRequire(require.resolve('@strapi/provider-email-nodemailer/package.json'));
const nodemailer = providerRequire('nodemailer') as {
  createTransport(options: Record<string, unknown>): {
    sendMail(mail: Record<string, unknown>): Promise<{ accepted: string[] }>;
    close(): void;
  };
};
// The test app's `getSocket` (tests/app/config/plugins.js): Nagle's algorithm off.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file of the test app
const smtpSocket = require(path.join(__dirname, '..', 'app', 'src', 'smtp-socket.js')) as (
  options: Record<string, unknown>,
  callback: (error: Error | null, socket?: { connection: net.Socket }) => void,
) => void;

/** smtp-server with STARTTLS (its built-in self-signed certificate); collects what it receives. */
async function startServer(options: { secure?: boolean } = {}) {
  const received: string[] = [];
  const server = new SMTPServer({
    secure: options.secure ?? false,
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push(`${session.secure ? 'tls' : 'plain'}:${Buffer.concat(chunks).toString('utf8')}`);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('the test app SMTP socket (Nagle off), with nodemailer', () => {
  it.each([
    ['a pooled transport, STARTTLS', { pool: true, requireTLS: true }, false, 'tls'],
    ['one connection per email, plain', { ignoreTLS: true }, false, 'plain'],
    ['implicit TLS (secure: true)', { secure: true }, true, 'tls'],
  ])('sends through %s', async (_name, transportOptions, secureServer, expected) => {
    const server = await startServer({ secure: secureServer });
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: server.port,
      tls: { rejectUnauthorized: false },
      getSocket: smtpSocket,
      ...transportOptions,
    });
    try {
      for (const i of [1, 2]) {
        const info = await transport.sendMail({
          from: 'a@example.test',
          to: 'b@example.test',
          subject: `n${i}`,
          text: 'hi',
        });
        expect(info.accepted).toEqual(['b@example.test']);
      }
      expect(server.received).toHaveLength(2);
      for (const mail of server.received) expect(mail.startsWith(`${expected}:`)).toBe(true);
      expect(server.received[1]).toContain('Subject: n2');
    } finally {
      transport.close();
      await server.close();
    }
  });

  it('reports a refused connection, and a pool recovers once the server is back (no slot left taken)', async () => {
    // A free port, then nothing listening on it.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      pool: true,
      maxConnections: 2,
      ignoreTLS: true,
      getSocket: smtpSocket,
    });
    const mail = { from: 'a@example.test', to: 'b@example.test', text: 'x' };
    try {
      // More failures than the pool has connections: each must give its slot back.
      for (let i = 0; i < 4; i += 1) await expect(transport.sendMail(mail)).rejects.toThrow(/ECONNREFUSED/);
      const received: string[] = [];
      const server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        onData(stream, _session, done) {
          stream.on('data', () => undefined);
          stream.on('end', () => {
            received.push('mail');
            done();
          });
        },
      });
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      try {
        await expect(transport.sendMail(mail)).resolves.toMatchObject({ accepted: ['b@example.test'] });
        expect(received).toEqual(['mail']);
      } finally {
        transport.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    } finally {
      transport.close();
    }
  });
});
