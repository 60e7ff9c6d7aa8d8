/**
 * A real, single-node ZooKeeper for tests: Debian's zookeeper jars run in a child JVM with a temp
 * dataDir on a free 127.0.0.1 port. `startZooKeeper()` returns once it answers `ruok`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';

export interface ZooKeeperServer {
  port: number;
  /** `127.0.0.1:<port>` */
  connectString: string;
  /** Kills the JVM and removes its data directory. */
  stop(): Promise<void>;
}

const CLASSPATH = ['/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-nop.jar'].join(':');

export async function startZooKeeper(timeoutMs = 30_000): Promise<ZooKeeperServer> {
  const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-zk-'));
  const port = await freePort();
  const cfg = join(dir, 'zoo.cfg');
  writeFileSync(
    cfg,
    [
      'tickTime=500',
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok',
      'minSessionTimeout=1000',
      'maxSessionTimeout=30000',
    ].join('\n'),
  );
  const child = spawn('java', ['-Xmx128m', '-cp', CLASSPATH, 'org.apache.zookeeper.server.ZooKeeperServerMain', cfg], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async (): Promise<void> => {
    await kill(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await ruok(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`ZooKeeper did not start on 127.0.0.1:${port}: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, connectString: `127.0.0.1:${port}`, stop };
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function ruok(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('ruok'));
    let answer = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(answer === 'imok'));
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A small promise-based ZooKeeper client for arranging nodes in tests. */
export interface ZkTestClient {
  mkdirp(path: string): Promise<void>;
  /** Creates an ephemeral sequential node; returns its full path. */
  createMember(parent: string, data: unknown, prefix?: string): Promise<string>;
  create(path: string, data: string | Buffer, mode?: number): Promise<string>;
  remove(path: string): Promise<void>;
  close(): void;
}

export async function connectZk(connectString: string): Promise<ZkTestClient> {
  const client = zookeeper.createClient(connectString, { sessionTimeout: 5000, spinDelay: 100 });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cannot connect to ZooKeeper at ${connectString}`)), 10_000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  const cb =
    <T>(resolve: (v: T) => void, reject: (e: unknown) => void) =>
    (error: unknown, value: T): void =>
      error ? reject(error) : resolve(value);
  const create = (path: string, data: string | Buffer, mode: number = zookeeper.CreateMode.PERSISTENT): Promise<string> =>
    new Promise((resolve, reject) => client.create(path, Buffer.from(data), mode, cb(resolve, reject)));
  return {
    mkdirp: (path) => new Promise((resolve, reject) => client.mkdirp(path, cb<unknown>(() => resolve(), reject))),
    create,
    createMember: (parent, data, prefix = 'member_') =>
      create(`${parent}/${prefix}`, typeof data === 'string' ? data : JSON.stringify(data), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL),
    remove: (path) => new Promise((resolve, reject) => client.remove(path, cb<void>(resolve, reject))),
    close: () => client.close(),
  };
}

/** The serverset JSON Aurora's scheduler writes for itself. */
export function serversetJson(host: string, port: number, extra: Record<string, { host: string; port: number }> = { http: { host, port } }) {
  return { serviceEndpoint: { host, port }, additionalEndpoints: extra, status: 'ALIVE' };
}
