/**
 * What an embedded scheduler does when its host process ends without calling close(): Ctrl-C, SIGTERM,
 * process.exit(), an uncaught exception. Without this its tasks kept running (re-parented to init,
 * ports held) and its temporary directory stayed behind.
 *
 * One set of process listeners serves every scheduler of the process:
 * - `exit` (process.exit, the end of the event loop, an uncaught exception): only synchronous work is
 *   possible, so each scheduler SIGKILLs its tasks and removes its own temporary directory.
 * - SIGINT / SIGTERM when the host has no listener of its own: Node's default would end the process, so
 *   each scheduler closes as close() does (SIGTERM to tasks, their grace, the directory), then the
 *   signal is raised again with these listeners gone, and the process ends the default way (a second
 *   signal while closing cuts that short: SIGKILL, then the same). When the host does listen, the signal
 *   is the host's to handle (its handler may call close() or exit; `exit` still cleans up).
 */
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface ExitCleanup {
  /** close() of the scheduler: tasks stopped gracefully, directory removed. */
  close(): Promise<void>;
  /** The synchronous last resort: tasks SIGKILLed, directory removed. */
  now(): void;
}

const registered = new Set<ExitCleanup>();
let closing = false;

function onExit(): void {
  for (const cleanup of registered) cleanup.now();
  registered.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  if (!closing && process.listenerCount(signal) > 1) return;
  const reraise = (): void => {
    uninstall();
    process.kill(process.pid, signal);
  };
  if (closing) {
    // A second signal while closing: now.
    onExit();
    reraise();
    return;
  }
  closing = true;
  const all = [...registered];
  void Promise.allSettled(all.map((cleanup) => cleanup.close())).then(() => {
    onExit();
    reraise();
  });
}

function install(): void {
  process.on('exit', onExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  process.off('exit', onExit);
  for (const signal of SIGNALS) process.off(signal, onSignal);
  closing = false;
}

/** Registers a scheduler; the returned function unregisters it (close() calls it). */
export function cleanUpOnExit(cleanup: ExitCleanup): () => void {
  if (registered.size === 0 && !closing) install();
  registered.add(cleanup);
  return () => {
    registered.delete(cleanup);
    if (registered.size === 0 && !closing) uninstall();
  };
}
