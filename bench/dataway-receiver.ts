/**
 * A stand-in for DataKit's dataway, run as its own process so it does not share the gateway's core:
 *   node --import tsx bench/dataway-receiver.ts [--stall]
 * Answers POST /v1/write/<category> with 200 (or never, with --stall: a backend that has stopped responding),
 * counts the `X-Points` it was sent, and reports them on stdin request: each line read on stdin is answered with
 * one JSON line `{"points":…,"requests":…,"bytes":…}`. The first stdout line is the port it listens on.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

const stall = process.argv.includes('--stall');
let points = 0;
let requests = 0;
let bytes = 0;

const server = createServer((req, res) => {
  let size = 0;
  req.on('data', (c: Buffer) => (size += c.length));
  req.on('end', () => {
    if (stall) return; // hold the connection open: the sender's queue is what is being measured
    points += Number(req.headers['x-points'] ?? 0);
    requests++;
    bytes += size;
    res.writeHead(200).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
createInterface({ input: process.stdin }).on('line', () => {
  process.stdout.write(`${JSON.stringify({ points, requests, bytes })}\n`);
});
process.stdin.on('end', () => process.exit(0));
