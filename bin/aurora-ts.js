#!/usr/bin/env node
// The `aurora-ts` command, CommonJS (bin/package.json) so that Node starts no ES module loader for
// it. `--version` is answered from package.json without loading anything else, so scripts that
// probe the version pay no start-up cost; everything else runs the CLI bundle (scripts/bundle.mjs).
'use strict';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = require('node:fs');
  const { join } = require('node:path');
  process.stdout.write(`${JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')).version}\n`);
} else {
  // A reader that stops early (`aurora-ts job list local | head -1`) is no error: the rest is dropped.
  process.stdout.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
  const bundle = require('node:path').join(__dirname, '../dist/cli/bundle');
  // V8's bytecode of an earlier run instead of compiling the bundle again (src/cli/code-cache.ts).
  require(`${bundle}/code-cache.cjs`).useCodeCache(bundle);
  const { main } = require(`${bundle}/main.cjs`);
  // Exit explicitly: a pooled connection or a timer left behind must not keep a finished command alive.
  main(args, { handleSignals: true }).then((code) => process.exit(code));
}
