import { connect } from 'node:net';

/**
 * Why a test cannot reach a service it needs (PostgreSQL, Redis on this
 * machine kind), or undefined when it can. Under CI=true a missing service
 * throws, so the suite fails loudly; elsewhere the caller skips with the reason.
 */
export async function serviceMissing(name: string, host: string, port: number): Promise<string | undefined> {
  const up = await new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1_000, () => socket.destroy(new Error('timeout')));
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (up) return undefined;
  const reason = `${name} is not reachable at ${host}:${port}`;
  if (process.env.CI === 'true') throw new Error(`${reason}, and CI=true: this test needs it`);
  return reason;
}

/**
 * A loopback port that nothing listens on right now: bound to port 0, then
 * released. Tests use it as a closed port, or as a free one to start on.
 */
export async function unusedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
