import { Router } from 'express';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { adminAuth } from './admin-auth';
import { redactJobData } from './job-data-redaction';

/** Where the dashboard is mounted on the gateway. */
export const DASHBOARD_PATH = '/admin/queues';

/**
 * bull-board over every queue, behind the admin token. Read-only: it
 * shows counts, jobs, payloads and failures; retrying, removing or
 * adding jobs there would go around the upload and job state in Redis.
 */
export function queueDashboard(token: string, queues: Queue[]): Router {
  const server = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => {
      const adapter = new BullMQAdapter(queue, { readOnlyMode: true });
      adapter.setFormatter('data', redactJobData);
      return adapter;
    }),
    serverAdapter: server,
    options: { uiConfig: { boardTitle: 'catalog-ingest' } },
  });

  const router = Router();
  router.use(adminAuth(token, DASHBOARD_PATH), server.getRouter());
  return router;
}
