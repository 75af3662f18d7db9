import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { killOnExit } from './processes.js';
import { freePort } from './redis-server.js';

const run = promisify(execFile);

/** One redis-server of a test cluster. */
export interface ClusterNode {
  port: number;
  process: ChildProcess;
}

/** A Redis Cluster this test run started: masters, a replica each, on free ports of 127.0.0.1. */
export interface TestCluster {
  nodes: ClusterNode[];
  /** host:port of every node, for REDIS_CLUSTER_NODES. */
  nodesEnv: string;
  /** The ports of the nodes that are masters now and hold slots. */
  masters(): Promise<number[]>;
  /** The port of the master serving `key`'s slot now. */
  masterOf(key: string): Promise<number>;
  /** Kills a node at once (SIGKILL: no shutdown, no save), as a crashed machine would stop. */
  kill(port: number): Promise<void>;
  /** Waits until a replica has taken over from the master on `port` and every slot is served again. */
  failedOver(port: number, timeoutMs?: number): Promise<void>;
  /** Waits until every slot is served (cluster_state:ok) as the nodes still alive see it. */
  healthy(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes their folders. */
  destroy(): Promise<void>;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (+10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = await freePort();
    if (port + 10000 > 65535 || taken.has(port) || taken.has(port + 10000)) continue;
    if (await portFree(port + 10000)) return port;
  }
  throw new Error('no free port pair (port and port + 10000) for a cluster node');
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Redis Cluster: timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Starts `masters` x (1 + `replicas`) redis-servers with cluster mode on
 * (AOF on, as the shipped config) and joins them with `redis-cli --cluster
 * create`. `nodeTimeoutMs` is cluster-node-timeout: how long a master may be
 * silent before its replica takes over.
 */
export async function startRedisCluster(
  options: { masters?: number; replicas?: number; nodeTimeoutMs?: number } = {},
): Promise<TestCluster> {
  const { masters = 3, replicas = 1, nodeTimeoutMs = 1000 } = options;
  const root = mkdtempSync(join(tmpdir(), 'crawlfleet-cluster-'));
  const nodes: ClusterNode[] = [];
  const taken = new Set<number>();
  const destroy = async () => {
    await Promise.all(nodes.map(({ process: child }) => stopNode(child)));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const port = await clusterPort(taken);
      taken.add(port).add(port + 10000);
      const dir = join(root, String(port));
      mkdirSync(dir);
      // "--save ''" as the test Redis: AOF alone, as in deploy/redis.conf.
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--protected-mode', 'no'];
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf');
      args.push('--cluster-node-timeout', String(nodeTimeoutMs), '--cluster-replica-validity-factor', '0');
      args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction');
      const child = killOnExit(spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'ignore'] }));
      nodes.push({ port, process: child });
    }
    for (const { port } of nodes) await until(async () => (await cli(port, 'PING')).includes('PONG'), 10_000, 'PING');
    const addresses = nodes.map(({ port }) => `127.0.0.1:${port}`);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'],
      {
        timeout: 30_000,
      },
    );
    const cluster = clusterOf(nodes, destroy);
    await cluster.healthy(30_000);
    // Every replica in sync with its master, so the first failover has a replica to promote.
    await until(
      async () => {
        const infos = await Promise.all(nodes.map(({ port }) => cli(port, 'INFO', 'replication')));
        const synced = infos.filter((info) => /master_link_status:up/.test(info)).length;
        return synced === masters * replicas;
      },
      30_000,
      'replicas in sync',
    );
    return cluster;
  } catch (err) {
    await destroy();
    throw err;
  }
}

function clusterOf(nodes: ClusterNode[], destroy: () => Promise<void>): TestCluster {
  const alive = () => nodes.filter(({ process: child }) => child.exitCode === null && child.signalCode === null);
  return {
    nodes,
    nodesEnv: nodes.map(({ port }) => `127.0.0.1:${port}`).join(','),
    async masters() {
      const text = await cli(alive()[0].port, 'CLUSTER', 'NODES');
      return text
        .split('\n')
        .map((line) => line.split(' '))
        .filter((fields) => fields[2]?.includes('master') && !fields[2].includes('fail') && fields.length > 8)
        .map((fields) => Number(/:(\d+)@/.exec(fields[1])?.[1]));
    },
    async masterOf(key) {
      const port = alive()[0].port;
      const slot = Number((await cli(port, 'CLUSTER', 'KEYSLOT', key)).trim());
      for (const fields of (await cli(port, 'CLUSTER', 'NODES')).split('\n').map((line) => line.split(' '))) {
        if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue;
        const serves = fields.slice(8).some((range) => {
          const [from, to = from] = range.split('-').map(Number);
          return slot >= from && slot <= to;
        });
        if (serves) return Number(/:(\d+)@/.exec(fields[1])?.[1]);
      }
      throw new Error(`no master serves slot ${slot}`);
    },
    async kill(port) {
      const node = nodes.find((each) => each.port === port);
      if (!node) throw new Error(`no cluster node on port ${port}`);
      await stopNode(node.process, 'SIGKILL');
    },
    async failedOver(port, timeoutMs = 30_000) {
      await until(async () => !(await this.masters()).includes(port), timeoutMs, `a replica to replace ${port}`);
      await this.healthy(timeoutMs);
    },
    async healthy(timeoutMs = 30_000) {
      await until(
        async () => {
          const infos = await Promise.all(alive().map(({ port }) => cli(port, 'CLUSTER', 'INFO')));
          return infos.every((info) => /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info));
        },
        timeoutMs,
        'cluster_state:ok on every node',
      );
    },
    destroy,
  };
}

async function stopNode(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
