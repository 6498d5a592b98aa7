/**
 * The ceiling the gateway is compared with (issue 8): the same Fastify setup (bytes in through one catch-all parser,
 * the same body limit), whose route only decodes the body with protobufjs 7's generic `Type.decode` (JSON.parse for
 * JSON, gunzip first for gzip) and answers an empty 200. Its own process:
 *   node --import tsx bench/ceiling-server.ts <maxRequestBytes>
 * prints `listening on <url>` once it listens, and stops on SIGTERM.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import Fastify from 'fastify';
import { otlpProtoTypes } from '../src/otlp/proto.js';

const gunzipAsync = promisify(gunzip);
const maxRequestBytes = Number(process.argv[2]);
const types = otlpProtoTypes();
const REQUEST_TYPE = { traces: types.ExportTraceServiceRequest, metrics: types.ExportMetricsServiceRequest, logs: types.ExportLogsServiceRequest };

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post<{ Params: { signal: keyof typeof REQUEST_TYPE } }>('/otel/v1/:signal', { bodyLimit: maxRequestBytes }, async (request, reply) => {
  const received = request.body as Buffer;
  const body = request.headers['content-encoding'] === 'gzip' ? await gunzipAsync(received) : received;
  if (request.headers['content-type'] === 'application/json') JSON.parse(body.toString('utf8'));
  else REQUEST_TYPE[request.params.signal].decode(body);
  reply.code(200).header('content-type', request.headers['content-type']).send('');
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening on ${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
