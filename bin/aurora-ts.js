#!/usr/bin/env node
// The `aurora-ts` command. `--version` is answered from package.json without loading anything else,
// so scripts that probe the version pay no start-up cost; everything else runs the compiled CLI.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  const { main } = await import('../dist/cli/main.js');
  // Exit explicitly: a pooled connection or a timer left behind must not keep a finished command alive.
  process.exit(await main(args, { handleSignals: true }));
}
