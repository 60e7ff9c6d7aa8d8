/**
 * A live tail of one sandbox file through GET /sandbox/<task>/<file>?offset=N: the last 64 KiB first,
 * then whatever grew since, appended as text nodes (task output is never parsed as markup).
 */
const WINDOW = 64 * 1024;
const KEEP = 1024 * 1024;

export function startTail(taskId: string, file: string, out: HTMLElement, state: HTMLElement, follow: HTMLInputElement): () => void {
  const url = `/sandbox/${encodeURIComponent(taskId)}/${file.split('/').map(encodeURIComponent).join('/')}`;
  const decoder = new TextDecoder();
  let offset: number | undefined;
  let stopped = false;
  let timer: number | undefined;
  const tick = async () => {
    try {
      if (offset === undefined) {
        // The endpoint clamps the offset to the file's size: an empty answer that names the size.
        const probe = await fetch(`${url}?offset=${Number.MAX_SAFE_INTEGER}`);
        if (probe.status === 404) {
          state.textContent = `No ${file} in this task's sandbox yet.`;
          return;
        }
        if (!probe.ok) throw new Error(`HTTP ${probe.status}`);
        const size = Number(probe.headers.get('X-File-Size') ?? 0);
        offset = Math.max(0, size - WINDOW);
        if (offset > 0) out.append(document.createTextNode(`… (${offset} earlier bytes not shown)\n`));
      }
      const reply = await fetch(`${url}?offset=${offset}`);
      if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
      const bytes = new Uint8Array(await reply.arrayBuffer());
      if (bytes.length) {
        offset += bytes.length;
        out.append(document.createTextNode(decoder.decode(bytes, { stream: true })));
        if ((out.textContent?.length ?? 0) > KEEP) out.textContent = (out.textContent ?? '').slice(-KEEP);
        if (follow.checked) out.scrollTop = out.scrollHeight;
      }
      state.textContent = `${file}: ${offset} bytes${follow.checked ? ', following' : ''}`;
    } catch (error) {
      state.textContent = `Could not read ${file}: ${(error as Error).message}; retrying.`;
    } finally {
      if (!stopped) timer = window.setTimeout(() => void tick(), 1000);
    }
  };
  void tick();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}
