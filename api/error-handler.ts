import type { FastifyError, FastifyInstance } from 'fastify';
import { toHttpError, errorKind } from '../lib/errors';

/** The one error handler: the error taxonomy decides the status; bugs are logged, not shown. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation) {
      return reply.status(400).send({
        statusCode: 400,
        error: 'VALIDATION_FAILED',
        message: err.message,
        details: err.validation,
      });
    }
    if (typeof err.statusCode === 'number' && err.statusCode < 500 && errorKind(err) === 'unexpected') {
      // Fastify's own client errors (bad JSON, body too large, unsupported media type).
      return reply.status(err.statusCode).send({ statusCode: err.statusCode, error: err.code ?? 'BAD_REQUEST', message: err.message });
    }
    const body = toHttpError(err);
    if (body.statusCode >= 500) request.log.error({ err }, 'request failed');
    return reply.status(body.statusCode).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ statusCode: 404, error: 'NOT_FOUND', message: `No route ${request.method} ${request.url}` }),
  );
}
