import type { FastifyInstance } from 'fastify';
import { mspKpis } from '../../../activities/billing/kpi-service';
import type { ApiDeps } from '../../types';
import { kpiSchema } from './schemas';

/** MSP-wide money figures: administrators only. */
export async function kpiRoutes(app: FastifyInstance, deps: ApiDeps) {
  app.get<{ Querystring: { month: string } }>('/kpis', { schema: kpiSchema, config: { access: ['ADMIN'] } }, async (request) => mspKpis(deps.prisma, request.query.month));
}
