import type { FastifyInstance } from 'fastify';
import { temporal as proto } from '@temporalio/proto';
import { countPending } from '../../../lib/outbox/outbox';
import type { ApiDeps } from '../../types';
import { healthSchema } from './schemas';

type Check = { status: 'up' | 'down'; latencyMs: number; detail?: string };

async function timed(fn: () => Promise<string | void>, timeoutMs = 3000): Promise<Check> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', latencyMs: Date.now() - started, ...(detail ? { detail } : {}) };
  } catch (err) {
    return { status: 'down', latencyMs: Date.now() - started, detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Public: each dependency's state, 200 when all are up, 503 otherwise. */
export async function healthRoutes(app: FastifyInstance, deps: ApiDeps) {
  const { namespace, taskQueue } = deps.config.temporal;
  app.get('/health', { schema: healthSchema, config: { access: 'public' } }, async (_request, reply) => {
    const [postgresql, temporal, worker, outbox] = await Promise.all([
      timed(async () => {
        await deps.prisma.$queryRaw`SELECT 1`;
      }),
      timed(async () => {
        await deps.temporal.client.workflowService.describeNamespace({ namespace });
        return `${deps.temporal.address} namespace ${namespace}`;
      }),
      timed(async () => {
        if (deps.localWorkerRunning && !deps.localWorkerRunning()) throw new Error('the in-process worker is not running');
        const res = await deps.temporal.client.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        const pollers = res.pollers?.length ?? 0;
        if (pollers === 0) throw new Error(`no worker is polling task queue "${taskQueue}"`);
        return `${pollers} poller(s) on task queue ${taskQueue}`;
      }),
      timed(async () => {
        const pending = await countPending(deps.prisma);
        return `${pending} pending effect(s)`;
      }),
    ]);
    const dependencies = { postgresql, temporal, worker, outbox };
    const ok = Object.values(dependencies).every((c) => c.status === 'up');
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', dependencies });
  });
}
