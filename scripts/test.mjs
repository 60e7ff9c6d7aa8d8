#!/usr/bin/env node
// `npm test`: everything CI checks, on a fresh machine. Installs the system packages the tests use
// (with apt-get when running as root), builds, verifies the generated code is current, typechecks the
// sources and the tests, runs the whole vitest suite, then a small benchmark run so the benchmarks
// never rot.
//
//   npm test                 all of it
//   npm test -- <vitest args>  only vitest, with those arguments (e.g. a file filter), after the setup
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const vitestArgs = process.argv.slice(2);

// What the tests need from the system, and how to tell it is there.
const SYSTEM_PACKAGES = [
  { pkg: 'thrift-compiler', present: () => has('thrift', ['--version']), why: 'regenerating Apache Thrift reference code' },
  // From `/`: in the repository root the IDL folder `thrift/` would pass for the module (a namespace package).
  { pkg: 'python3-thrift', present: () => has('/usr/bin/python3', ['-c', 'import thrift.protocol.TJSONProtocol'], '/'), why: 'cross-implementation golden tests' },
  { pkg: 'zookeeper', present: () => existsSync('/usr/share/zookeeper/bin/zkServer.sh'), why: 'ZooKeeper discovery and leadership tests' },
  { pkg: 'openssl', present: () => has('openssl', ['version']), why: 'TLS tests with generated certificates' },
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium'), why: 'web UI tests in a real browser (playwright-core drives it)' },
  { pkg: 'perl-base', present: () => existsSync('/usr/bin/perl'), why: "the task owner that keeps a task's daemons in its process tree" },
  { pkg: 'golang-go', present: () => has('go', ['version']), why: 'building the mesos-go executor the Mesos executor API tests run' },
  { pkg: 'openssh-server', present: () => existsSync('/usr/sbin/sshd'), why: '`task run`/`task ssh` over ssh to a real sshd on loopback' },
  { pkg: 'openssh-client', present: () => has('ssh', ['-V']) && existsSync('/usr/bin/ssh-keygen'), why: 'the ssh client, scp and ssh-keygen those tests use' },
  { pkg: 'golang-github-mesos-mesos-go-dev', present: () => existsSync('/usr/share/gocode/src/github.com/mesos/mesos-go/api/v1/lib/executor'), why: "mesos-go's v1 executor library, an independent peer of the executor API" },
  { pkg: 'protobuf-compiler', present: () => has('protoc', ['--version']), why: "protoc, reading and writing the executor kit's protobuf independently" },
  { pkg: 'libprotobuf-dev', present: () => existsSync('/usr/include/google/protobuf/descriptor.proto'), why: 'google/protobuf/descriptor.proto, which the Mesos .proto files import (through gogo.proto)' },
];

function has(cmd, args, cwd = root) {
  const r = spawnSync(cmd, args, { stdio: 'ignore', cwd });
  return r.status === 0;
}

function run(title, cmd, args, env = {}) {
  console.log(`\n== ${title}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`\n${title} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

const missing = SYSTEM_PACKAGES.filter((p) => !p.present());
if (missing.length > 0) {
  const names = missing.map((p) => p.pkg);
  if (process.getuid?.() === 0 && has('apt-get', ['--version'])) {
    run('install system packages', 'sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${names.join(' ')} >/dev/null`]);
  } else {
    console.error(`The tests need these system packages: ${missing.map((p) => `${p.pkg} (${p.why})`).join(', ')}.`);
    console.error(`Install them, e.g.: sudo apt-get install -y ${names.join(' ')}`);
    process.exit(1);
  }
}

run('build', 'npm', ['run', '--silent', 'build']);
if (vitestArgs.length === 0) {
  run('generated code is current', process.execPath, ['scripts/gen.mjs', '--check']);
  // vitest strips types without checking them: this is where the tests' own types are checked.
  run('typecheck (sources and tests)', 'npm', ['run', '--silent', 'typecheck']);
}
run('tests', 'npx', ['vitest', 'run', ...vitestArgs]);
if (vitestArgs.length === 0) {
  run('benchmark smoke run', process.execPath, ['scripts/bench.mjs', '--small']);
}
