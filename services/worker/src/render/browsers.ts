import { chromium, type Browser } from 'playwright-core';
import type { Logger } from 'pino';

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

  constructor(
    private readonly options: {
      executablePath: string;
      recyclePages: number;
      /** true: sandboxed or not at all; false: never; undefined: sandboxed unless root or unusable here. */
      sandbox?: boolean;
      logger: Logger;
      onRestart?: (reason: RestartReason) => void;
    },
  ) {
    const root = process.getuid?.() === 0;
    this.sandbox = options.sandbox ?? !root;
    if (options.sandbox === undefined && root)
      options.logger.warn('the render worker runs as root: Chromium runs without its sandbox (run it as another user)');
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
   * RENDER_SANDBOX=false, or unset and the worker is root (Chromium refuses
   * the sandbox there) or the sandbox does not start here (no user
   * namespaces, for example a container's seccomp profile): said once.
   */
  private async launch(): Promise<Browser> {
    if (!this.sandbox) return this.start(false);
    try {
      return await this.start(true);
    } catch (err) {
      if (this.options.sandbox === true) throw err;
      const browser = await this.start(false);
      // It starts without: the sandbox is what failed (any other failure fails both, and changes nothing).
      this.sandbox = false;
      this.options.logger.warn(
        { err: (err as Error).message.split('\n')[0] },
        "Chromium's sandbox does not start here: rendering without it (RENDER_SANDBOX=true refuses to)",
      );
      return browser;
    }
  }

  private start(sandboxed: boolean): Promise<Browser> {
    return chromium.launch({
      executablePath: this.options.executablePath,
      args: CHROMIUM_ARGS,
      chromiumSandbox: sandboxed,
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
