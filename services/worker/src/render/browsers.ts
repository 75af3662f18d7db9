import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { Logger } from 'pino';

/** Starts Chromium as RENDER_USER when the worker is root (Chromium refuses its sandbox as root). */
export const LAUNCH_AS_USER = fileURLToPath(new URL('../../bin/chromium-as-user.sh', import.meta.url));

/** RENDER_SANDBOX: `required` (never without it), `auto` (without it where it cannot start), `off`. */
export type SandboxMode = 'required' | 'auto' | 'off';

/** Chromium's sandbox cannot start here and RENDER_SANDBOX=required: the render worker cannot run. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';

  constructor(reason: string) {
    super(
      `Chromium's sandbox cannot start here (${reason}): allow unprivileged user namespaces (in Docker, run ` +
        'worker-render with deploy/chromium-seccomp.json, as docker-compose.yml does), or set RENDER_SANDBOX=off ' +
        'to render without it',
    );
  }
}

/**
 * Chromium flags: nothing leaves the browser except through the page's proxy.
 * No DNS prefetch or QUIC (UDP, past an HTTP proxy), no WebRTC UDP outside
 * the proxy, none of the browser's own background traffic.
 */
export const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--dns-prefetch-disable',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-domain-reliability',
  '--disable-breakpad',
  '--no-first-run',
  '--no-default-browser-check',
  '--force-webrtc-ip-handling-policy',
  '--webrtc-ip-handling-policy=disable_non_proxied_udp',
  '--disable-features=NetworkPrediction,InterestFeedContentSuggestions,MediaRouter,OptimizationHints,Translate',
];

/** One launched browser and the pages it has rendered and is rendering. */
interface Generation {
  browser: Promise<Browser>;
  rendered: number;
  active: number;
  dead: boolean;
}

/** Why a browser was started again. */
export type RestartReason = 'recycle' | 'crash';

/**
 * The render worker's one browser, reused across pages: started on first
 * use, started again after `recyclePages` pages (the old one closes once its
 * pages are done: a leaking browser is let go) and after a crash.
 */
export class Browsers {
  private current: Generation | null = null;
  /** Whether to ask Chromium for its sandbox: false as root, and once it is known not to start here. */
  private sandbox: boolean;

  private readonly asRoot = process.getuid?.() === 0;

  constructor(
    private readonly options: {
      executablePath: string;
      recyclePages: number;
      sandbox: SandboxMode;
      /** Who Chromium runs as when this worker is root (RENDER_USER). */
      user: string;
      /** RENDER_MAX_PAGE_MB. */
      maxPageMb: number;
      logger: Logger;
      onRestart?: (reason: RestartReason) => void;
    },
  ) {
    this.sandbox = options.sandbox !== 'off';
    if (!this.sandbox) options.logger.warn('RENDER_SANDBOX=off: Chromium runs without its sandbox');
  }

  /**
   * Starts the browser now and checks it runs in its sandbox: the render
   * worker does this before it takes a page.
   * @throws SandboxUnavailableError when the sandbox cannot start and RENDER_SANDBOX=required
   */
  async ready(): Promise<void> {
    await this.generation().browser;
  }

  /** Runs `work` on the current browser, counting it as one page. */
  async use<T>(work: (browser: Browser) => Promise<T>): Promise<T> {
    const generation = this.generation();
    generation.active += 1;
    generation.rendered += 1;
    try {
      return await work(await generation.browser);
    } finally {
      generation.active -= 1;
      if (generation !== this.current && generation.active === 0) void this.shut(generation);
    }
  }

  /** Closes the browser (the worker is stopping). */
  async close(): Promise<void> {
    const generation = this.current;
    this.current = null;
    if (generation) await this.shut(generation);
  }

  private generation(): Generation {
    const now = this.current;
    if (now && !now.dead && now.rendered < this.options.recyclePages) return now;
    if (now) {
      const reason: RestartReason = now.dead ? 'crash' : 'recycle';
      this.options.onRestart?.(reason);
      this.options.logger.info({ reason, rendered: now.rendered }, 'starting a new browser');
      if (now.active === 0) void this.shut(now);
    }
    const next: Generation = { browser: this.launch(), rendered: 0, active: 0, dead: false };
    next.browser.then(
      (browser) =>
        browser.on('disconnected', () => {
          next.dead = true;
        }),
      () => {
        next.dead = true;
      },
    );
    this.current = next;
    return next;
  }

  /**
   * Starts Chromium, in its sandbox (seccomp-bpf and namespaces around every
   * renderer: a page that exploits the renderer is still boxed in) unless
   * RENDER_SANDBOX=off. Where the sandbox does not start (no user namespaces,
   * for example a container's default seccomp profile), `required` (the
   * default) refuses to render and `auto` renders without it, said once.
   */
  private async launch(): Promise<Browser> {
    if (!this.sandbox) return this.start(false);
    try {
      return await this.start(true);
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0].slice(0, 200);
      // Does it start without? Then the sandbox is what failed (any other failure fails both).
      const browser = await this.start(false);
      if (this.options.sandbox === 'required') {
        await browser.close().catch(() => {});
        throw new SandboxUnavailableError(reason);
      }
      this.sandbox = false;
      this.options.logger.warn(
        { err: reason },
        "Chromium's sandbox does not start here: rendering without it (RENDER_SANDBOX=auto; required refuses to)",
      );
      return browser;
    }
  }

  /**
   * Chromium's environment: nothing of the worker's (REDIS_URL, keys), only
   * what a browser needs; as root, the launcher and the user to become.
   */
  private environment(viaLauncher: boolean): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: tmpdir(),
      TMPDIR: tmpdir(),
      LANG: 'C.UTF-8',
      ...(viaLauncher
        ? { CRAWLFLEET_CHROMIUM: this.options.executablePath, CRAWLFLEET_RENDER_USER: this.options.user }
        : {}),
    };
  }

  private start(sandboxed: boolean): Promise<Browser> {
    // As root Chromium refuses its sandbox: it is started as RENDER_USER instead.
    const viaLauncher = sandboxed && this.asRoot;
    return chromium.launch({
      executablePath: viaLauncher ? LAUNCH_AS_USER : this.options.executablePath,
      // V8's heap stops at the page's memory cap too (the renderer watch catches the rest).
      args: [...CHROMIUM_ARGS, `--js-flags=--max-old-space-size=${this.options.maxPageMb}`],
      chromiumSandbox: sandboxed,
      env: this.environment(viaLauncher),
      // Any proxy: every context sets its own (the page's guard proxy).
      proxy: { server: 'http://per-context' },
      timeout: 30_000,
    });
  }

  private async shut(generation: Generation): Promise<void> {
    generation.dead = true;
    const browser = await generation.browser.catch(() => null);
    await Promise.race([browser?.close(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]).catch(() => {});
  }
}
