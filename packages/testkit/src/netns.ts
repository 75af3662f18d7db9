import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ROOT, type ServiceProcess } from './processes.js';

/** True when this machine lets the test make network namespaces (root and iproute2). */
export function netnsAvailable(): { ok: boolean; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, why: 'network namespaces need root' };
  const probe = `cf-probe-${randomBytes(3).toString('hex')}`;
  const added = spawnSync('ip', ['netns', 'add', probe]);
  if (added.error || added.status !== 0)
    return { ok: false, why: `'ip netns add' failed: ${added.error?.message ?? added.stderr.toString()}` };
  spawnSync('ip', ['netns', 'del', probe]);
  return { ok: true, why: '' };
}

/**
 * Test hosts as Linux network namespaces joined by veth pairs. Every
 * namespace, link and process made here is removed by destroy(), which also
 * runs if the test process exits early.
 */
export class TestNetwork {
  private readonly suffix = randomBytes(3).toString('hex');
  private readonly namespaces: string[] = [];
  private readonly processes: ServiceProcess[] = [];
  private readonly onExit = () => this.destroySync();

  constructor() {
    process.once('exit', this.onExit);
  }

  /** Creates a host (namespace) with loopback up. @returns its namespace name. */
  host(name: string): string {
    const ns = `cf-${name}-${this.suffix}`;
    execFileSync('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    this.ip(ns, ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Joins two hosts with a veth pair and gives each end an address (CIDR). */
  link(a: { ns: string; dev: string; cidr: string }, b: { ns: string; dev: string; cidr: string }): void {
    this.ip(a.ns, ['link', 'add', a.dev, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
    for (const end of [a, b]) {
      this.ip(end.ns, ['addr', 'add', end.cidr, 'dev', end.dev]);
      this.ip(end.ns, ['link', 'set', end.dev, 'up']);
    }
  }

  /** Brings one end of a link down or up (a partition). */
  setLink(ns: string, dev: string, up: boolean): void {
    this.ip(ns, ['link', 'set', dev, up ? 'up' : 'down']);
  }

  ip(ns: string, args: string[]): void {
    execFileSync('ip', ['netns', 'exec', ns, 'ip', ...args]);
  }

  /** Starts `command` inside a host, cwd the repository, with exactly `env` (plus PATH). */
  run(ns: string, command: string[], env: Record<string, string>): ServiceProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...command], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | string>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
    );
    const started = { child, output: () => output, exited };
    this.processes.push(started);
    return started;
  }

  /** Runs curl inside a host: status and body. */
  curl(
    ns: string,
    method: string,
    url: string,
    body?: unknown,
    timeoutSeconds = 20,
    headers: Record<string, string> = {},
  ): { status: number; body: string; ms: number } {
    const args = [
      'netns',
      'exec',
      ns,
      'curl',
      '-s',
      '-m',
      String(timeoutSeconds),
      '-X',
      method,
      '-w',
      '\n%{http_code}',
      url,
    ];
    for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
    if (body !== undefined) args.push('-H', 'content-type: application/json', '-d', JSON.stringify(body));
    const started = Date.now();
    // curl exits non-zero when it cannot connect; that is status 0 here.
    const out = spawnSync('ip', args, { encoding: 'utf8' }).stdout ?? '';
    const cut = out.lastIndexOf('\n');
    return {
      status: cut < 0 ? 0 : Number(out.slice(cut + 1)),
      body: cut < 0 ? '' : out.slice(0, cut),
      ms: Date.now() - started,
    };
  }

  /** What every process printed, for a failing test's message. */
  outputs(): string {
    return this.processes
      .map((proc) => `--- ${proc.child.spawnargs.slice(4).join(' ')}\n${proc.output().slice(-2000)}`)
      .join('\n');
  }

  async destroy(): Promise<void> {
    for (const proc of this.processes) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await Promise.all(this.processes.map((proc) => proc.exited));
    this.destroySync();
  }

  private destroySync(): void {
    for (const proc of this.processes) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    for (const ns of this.namespaces.splice(0)) {
      // Whatever still runs in the namespace goes with it.
      spawnSync('sh', ['-c', `ip netns pids ${ns} | xargs -r kill -9`]);
      spawnSync('ip', ['netns', 'del', ns]);
    }
    process.removeListener('exit', this.onExit);
  }
}
