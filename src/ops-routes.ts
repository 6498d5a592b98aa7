import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from './metrics.js';
import { QueuedSink, type Sink } from './sinks/index.js';

/**
 * Routes for whoever runs the gateway (issue 7), on the OTLP port: `GET /health` (liveness), `GET /ready`
 * (readiness) and `GET /metrics` (Prometheus text, otlp-http-receiver.md checklist 42). They are not OTLP routes:
 * `[gateway] auth_token` does not apply (metrics reveal counts and sink names only), and they answer while the
 * gateway is closing, which the receiver otherwise refuses (checklist 41).
 */

export interface OpsRoutesOptions {
  /** Absent when `[gateway] metrics = false`: no `/metrics` route (404). */
  metrics: GatewayMetrics | undefined;
  /** The sinks in use now (a reload swaps them). */
  sinks(): readonly Sink[];
}

const ANSWERS_WHILE_CLOSING = { answersWhileClosing: true } as const;

export function registerOpsRoutes(app: FastifyInstance, opts: OpsRoutesOptions): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  // Liveness: the process answers, closing or not.
  app.get('/health', { config: ANSWERS_WHILE_CLOSING }, async () => ({ status: 'ok' }));

  // Readiness: a load balancer should send exports here only when they would be taken (the receiver's admission
  // check refuses a signal whose queued sink is full, with 503).
  app.get('/ready', { config: ANSWERS_WHILE_CLOSING }, async (_request, reply) => {
    if (closing) return reply.code(503).send({ status: 'closing' });
    if (!app.server.listening) return reply.code(503).send({ status: 'not listening' });
    const full = opts.sinks().filter((s) => s instanceof QueuedSink && !s.hasRoom()).map((s) => s.name);
    if (full.length > 0) return reply.code(503).send({ status: 'sinks full', sinks: full });
    return { status: 'ready' };
  });

  const { metrics } = opts;
  if (metrics) {
    app.get('/metrics', { config: ANSWERS_WHILE_CLOSING }, async (_request, reply) => {
      const { contentType, text } = await metrics.scrape();
      return reply.header('content-type', contentType).send(text);
    });
  }
}
