/**
 * A real OpenSSH server (Debian's openssh-server) on a free loopback port, for the tests of commands
 * that reach a Mesos agent over ssh. Everything lives in a temp dir: a generated host key, a generated
 * user key authorised for the current user, a known_hosts that pins the host key, and a config that
 * needs neither PAM nor root. `sshOptions` are the client options that reach it without ~/.ssh.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  port: number;
  /** The user the key logs in as: the one running the tests. */
  user: string;
  /** Client options: port, key, pinned host key, no user config (pass as `--ssh-options`). */
  sshOptions: string;
  /** What the server logged (errors only). */
  log(): string;
  close(): Promise<void>;
}

function keygen(file: string, comment: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr.toString()}`);
}

/** A port free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('data', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-sshd-'));
  const user = userInfo().username;
  keygen(join(dir, 'host_key'), 'aurora-ts test host');
  keygen(join(dir, 'user_key'), 'aurora-ts test user');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')));
  // As root, sshd insists on its privilege separation directory (the package's service would create it).
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const [type, key] = readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ');
  // Another process may take a port between choosing and binding it: try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${type} ${key}\n`);
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'UsePAM no',
        'StrictModes no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin prohibit-password',
        `AllowUsers ${user}`,
        'AllowTcpForwarding yes',
        // scp's default (SFTP) mode, as Debian's stock sshd_config has it (`task scp`).
        'Subsystem sftp internal-sftp',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    let log = '';
    const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    let exited = false;
    child.on('exit', () => (exited = true));
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline && !(await accepts(port))) await new Promise((r) => setTimeout(r, 50));
    if (exited || Date.now() >= deadline) {
      child.kill('SIGKILL');
      if (/Address already in use|Bind to port/.test(log)) continue;
      throw new Error(`sshd did not start: ${log}`);
    }
    const sshOptions = [
      '-F /dev/null',
      `-p ${port}`,
      `-i ${join(dir, 'user_key')}`,
      '-o IdentitiesOnly=yes',
      '-o BatchMode=yes',
      `-o UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o StrictHostKeyChecking=yes',
      // The agent host name of the local scheduler's tasks is this machine's: reach it where sshd listens.
      '-o HostName=127.0.0.1',
    ].join(' ');
    return {
      port,
      user,
      sshOptions,
      log: () => log,
      close: async () => {
        if (!exited) {
          const gone = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await gone;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  throw new Error('sshd: no free port after 5 attempts');
}
