import type { DestinationStream, LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from './config.js';

/**
 * Where a process's pino logger writes, by LOG_FORMAT: JSON lines (`json`,
 * and `auto` when stdout is not a terminal: containers, files, pipes), or one
 * coloured line an event (`pretty`, and `auto` on a terminal), its fields on
 * the same line. `npm start` tells its children which (scripts/start.mjs).
 */
export function logDestination(
  config: Pick<Config, 'logFormat'>,
  stdout: { isTTY?: boolean } = process.stdout,
): DestinationStream | undefined {
  const prettyLogs = config.logFormat === 'pretty' || (config.logFormat === 'auto' && stdout.isTTY === true);
  if (!prettyLogs) return undefined;
  return pretty({
    colorize: stdout.isTTY === true || process.env.FORCE_COLOR !== undefined,
    singleLine: true,
    translateTime: 'HH:MM:ss.l',
    ignore: 'pid,hostname,service,queue',
    // err is a message here (never a stack): on the line like any field.
    errorLikeObjectKeys: [],
    sync: true,
  });
}

/** The base options of a service's logger: its level and the fields every line carries. */
export function loggerOptions(config: Pick<Config, 'logLevel'>, base: Record<string, unknown>): LoggerOptions {
  return { level: config.logLevel, base: { ...base, pid: process.pid } };
}
