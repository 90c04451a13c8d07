// Plain TCP forwarder for the failover simulation: lets the "VMs" (network namespaces) reach the
// RabbitMQ and S3 servers that listen on the host's loopback. Connections reach the servers from
// 127.0.0.1, as the test servers expect (RabbitMQ's guest user is loopback-only).
//   node tcp-forward.mjs LISTEN_HOST:PORT=TARGET_HOST:PORT ...
import net from 'node:net';

const split = (hostPort) => {
  const i = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) };
};

for (const spec of process.argv.slice(2)) {
  const [from, to] = spec.split('=').map(split);
  net
    .createServer((client) => {
      const upstream = net.connect(to.port, to.host);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
      client.on('close', close);
      upstream.on('close', close);
    })
    .listen(from.port, from.host, () => console.log(`forwarding ${from.host}:${from.port} -> ${to.host}:${to.port}`));
}
