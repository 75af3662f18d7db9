import { JOB_TYPES, type JobType } from '@crawlfleet/tasks/kinds';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EventStream } from '../plugins/open-streams.js';
import { toJobView } from '@crawlfleet/core';

const CRAWL_POLL_MS = 250;

/**
 * Live events as server-sent events: a job's progress, completed and failed;
 * a crawl's stats as they change. Each stream ends when its job or crawl
 * does, and removes its listeners when the client goes away.
 */
export default async function eventRoutes(app: FastifyInstance): Promise<void> {
  const { jobQueues: queues, jobs, crawls } = app;
  const tags = ['events'];
  const openStream = (request: FastifyRequest, reply: FastifyReply, onClose: () => void): EventStream =>
    app.streams.openStream(app.apiKeys.caller(request), request, reply, onClose);
  for (const type of JOB_TYPES) {
    app.get<{ Params: { id: string } }>(
      `/jobs/${type}/:id/events`,
      {
        schema: { tags, summary: `Server-sent events of a ${type} job: progress, completed, failed` },
      },
      async (request, reply) => streamJob(type, request, reply),
    );
  }

  async function streamJob(type: JobType, request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
    const { id } = request.params;
    const scope = app.apiKeys.scope(request);
    const found = await jobs.find(type, id, scope);
    const events = queues.queueEvents(type, id);
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) =>
      jobId === id && stream.send('progress', { progress: data });
    const finish = async ({ jobId }: { jobId: string }) => {
      if (jobId !== id) return;
      const final = await jobs.find(type, id, scope).catch(() => null);
      // Retried by hand since: it runs again.
      if (final && final.state !== 'completed' && final.state !== 'failed') return;
      const view = final ? toJobView(type, final.job, final.state) : null;
      stream.send(view?.state ?? 'failed', view ?? { id });
      stream.close();
    };
    const onFinished = (event: { jobId: string }) => void finish(event);
    const stream = openStream(request, reply, () => {
      events.off('progress', onProgress);
      events.off('completed', onFinished);
      events.off('failed', onFinished);
    });
    events.on('progress', onProgress);
    events.on('completed', onFinished);
    events.on('failed', onFinished);
    stream.send('state', { state: found.state });
    // Finished before the listeners were on: the stored state says so.
    const now = await jobs.find(type, id, scope);
    if (now.state === 'completed' || now.state === 'failed') {
      const view = toJobView(type, now.job, now.state);
      stream.send(view.state, view);
      stream.close();
    }
  }

  app.get<{ Params: { id: string } }>(
    '/crawls/:id/events',
    {
      schema: { tags, summary: 'Server-sent events of a crawl: its stats as they change, then its end' },
    },
    async (request, reply) => {
      const scope = app.apiKeys.scope(request);
      let crawl = await crawls.get(request.params.id, scope);
      let closed = false;
      // A wake after the client left finds `closed` and stops (at most CRAWL_POLL_MS later).
      const stream = openStream(request, reply, () => {
        closed = true;
      });
      let last = '';
      const tick = async () => {
        if (closed) return;
        try {
          crawl = await crawls.get(crawl.id, scope);
        } catch (err) {
          // Expired (or removed) while watched: say so and end, never poll for ever.
          if ((err as { code?: string }).code === 'CF_ERR_CRAWL_NOT_FOUND') {
            stream.send('gone', { id: crawl.id });
            stream.close();
            return;
          }
          // Redis away for a moment: try again next tick.
        }
        const stats = JSON.stringify(crawl.stats);
        if (stats !== last) stream.send('stats', crawl.stats);
        last = stats;
        if (crawl.state !== 'running') {
          stream.send(crawl.state, crawl);
          stream.close();
          return;
        }
        // Stats as they change, every CRAWL_POLL_MS; the end at once (pushed).
        void crawls.ended(crawl.id, CRAWL_POLL_MS).then(() => void tick());
      };
      await tick();
    },
  );
}
