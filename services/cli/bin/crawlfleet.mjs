#!/usr/bin/env node
// The `crawlfleet` command: the one-file bundle `npm run build` writes (in this
// repository) or the package carries (installed from its tarball).
await import('../bundle/crawlfleet.mjs');
