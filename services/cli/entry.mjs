// The `crawlfleet` command's code: npm run build bundles it with ./dist into ./bundle/crawlfleet.mjs (bin/ starts it).
import { main } from './dist/main.js';

// A reader that stops early (`crawlfleet crawl … | head`) closes the pipe:
// stop quietly with what the command has settled so far, as other CLIs do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await main(process.argv.slice(2));
