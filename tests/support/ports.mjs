// Free TCP ports on 127.0.0.1, asked of the OS: the one way tests, the bench and the shell steps pick
// ports, so that suites sharing the machine never collide on a fixed one.
//   node tests/support/ports.mjs [count]   prints `count` (1) distinct free ports, space-separated
import { once } from 'node:events';
import { createServer } from 'node:net';
import { pathToFileURL } from 'node:url';

/**
 * `count` distinct free ports: every listener stays open until all are known, so the OS cannot hand
 * out one port twice.
 * @param {number} count
 * @returns {Promise<number[]>}
 */
export async function freePorts(count) {
  const servers = Array.from({ length: count }, () => createServer().listen(0, '127.0.0.1'));
  try {
    await Promise.all(servers.map((server) => once(server, 'listening')));
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      return address.port;
    });
  } finally {
    for (const server of servers) server.close();
  }
}

/** @returns {Promise<number>} */
export async function freePort() {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no port');
  return port;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log((await freePorts(Number(process.argv[2] ?? 1))).join(' '));
}
