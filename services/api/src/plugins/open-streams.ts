import type { FastifyReply, FastifyRequest } from 'fastify';
import { TooManyStreamsError } from '../errors.js';
import { ClientSlots } from './client-slots.js';

/** A server-sent-events stream; close() ends it once. */
export interface EventStream {
  send(event: string, data: unknown): void;
  close(): void;
}

const HEARTBEAT_MS = 15_000;

/**
 * The API's open server-sent-events streams: at most MAX_STREAMS_PER_CLIENT
 * per client (429 past it), and all ended when the API closes (its preClose
 * hook), so an open stream never keeps the process from exiting.
 */
export class OpenStreams {
  private readonly slots: ClientSlots;
  private readonly open = new Set<EventStream>();

  constructor(maxPerClient: number) {
    this.slots = new ClientSlots(maxPerClient, TooManyStreamsError);
  }

  /**
   * Opens a stream on `reply` for `caller`; `onClose` runs once when it ends
   * (the client went away, the sender closed it, or the API is closing).
   * @throws TooManyStreamsError before anything is sent
   */
  openStream(caller: string, request: FastifyRequest, reply: FastifyReply, onClose: () => void): EventStream {
    const release = this.slots.take(caller);
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    let open = true;
    const heartbeat = setInterval(() => reply.raw.write(': ping\n\n'), HEARTBEAT_MS);
    const stream: EventStream = {
      send(event, data) {
        if (open) reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      close: () => {
        if (!open) return;
        open = false;
        clearInterval(heartbeat);
        this.open.delete(stream);
        release();
        onClose();
        reply.raw.end();
      },
    };
    this.open.add(stream);
    request.raw.on('close', () => stream.close());
    return stream;
  }

  /** Ends every open stream (the API is closing). */
  closeAll(): void {
    for (const stream of this.open) {
      stream.send('closing', { reason: 'the API is shutting down; reconnect' });
      stream.close();
    }
  }
}
