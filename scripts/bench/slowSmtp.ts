// A real SMTP server in the bench process (smtp-server on a loopback port) that takes a while over each message, as a
// relay does; it counts what it accepted and when the last one was.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SlowSmtp {
  url: string;
  port: number;
  /** Messages accepted so far. */
  accepted(): number;
  /** performance.now() of the last acceptance. */
  lastAcceptedAt(): number;
  close(): Promise<void>;
}

export async function startSlowSmtp(delayMs: number): Promise<SlowSmtp> {
  let accepted = 0;
  let lastAt = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Connections still open at close (a pool, a process killed mid-send) are cut after a second.
    closeTimeout: 1000,
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () =>
        setTimeout(() => {
          accepted++;
          lastAt = performance.now();
          callback();
        }, delayMs),
      );
    },
  });
  server.on('error', () => {}); // a client cut off mid-message (a killed process) is not the bench's failure
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    accepted: () => accepted,
    lastAcceptedAt: () => lastAt,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
