/**
 * The web UI's entry: picks the page from the URL (Aurora's scheme), renders it, and renders it again
 * while something changes (every 2 s; every 15 s when all is still). Read-only: it calls read RPCs only.
 */
import { failure } from './format.js';
import { html, type Html } from './html.js';
import { agentsPage, hostPage, jobPage, maintenancePage, rolePage, rolesPage, taskPage, updatePage, type View } from './pages.js';
import { startTail } from './tail.js';

const FAST = 2000;
const SLOW = 15000;

function route(pathname: string): { load: () => Promise<View>; task?: string } | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'agents' && parts.length === 1) return { load: agentsPage };
  if (parts[0] === 'agents' && parts.length === 2) return { load: () => hostPage(parts[1]!) };
  if (parts[0] === 'maintenance' && parts.length === 1) return { load: maintenancePage };
  if (parts[0] !== 'scheduler') return undefined;
  const [, role, env, job, kind, id] = parts;
  if (parts.length === 1) return { load: rolesPage };
  if (parts.length === 2) return { load: () => rolePage(role!) };
  if (parts.length === 3) return { load: () => rolePage(role!, env!) };
  if (parts.length === 4) return { load: () => jobPage(role!, env!, job!) };
  if (parts.length === 6 && kind === 'update') return { load: () => updatePage(role!, env!, job!, id!) };
  if (parts.length === 6 && kind === 'task') return { load: () => taskPage(role!, env!, job!, id!), task: id! };
  return undefined;
}

/** Keeps open <details> open across a refresh (by their position: the page's shape rarely moves). */
function openDetails(root: HTMLElement): Set<string> {
  const open = new Set<string>();
  root.querySelectorAll('details').forEach((d, i) => {
    if (d.open) open.add(`${i}:${d.querySelector('summary')?.textContent ?? ''}`);
  });
  return open;
}

async function main(): Promise<void> {
  const page = document.getElementById('page')!;
  const found = route(location.pathname);
  if (!found) {
    page.innerHTML = html`<h1>Not found</h1><p class="empty">No page at this address. <a href="/scheduler">All roles</a></p>`.text;
    return;
  }
  let last = '';
  let lazy = new Map<string, Html>();
  // 'toggle' does not bubble: listen in the capture phase for every <details> on the page.
  page.addEventListener(
    'toggle',
    (event) => {
      const details = event.target as HTMLDetailsElement;
      const key = details.dataset.lazy;
      if (!details.open || key === undefined || details.dataset.filled) return;
      details.insertAdjacentHTML('beforeend', (lazy.get(key) ?? html`<p class="empty">Gone since the page was drawn.</p>`).text);
      details.dataset.filled = 'true';
    },
    true,
  );
  const render = async () => {
    let view: View;
    try {
      view = await found.load();
    } catch (error) {
      view = { title: 'Error', changing: true, body: html`<h1>Cannot show this page</h1>${failure(error)}<p class="muted">Retrying.</p>` };
    }
    document.title = `${view.title} · Aurora (local)`;
    lazy = view.lazy ?? new Map();
    if (view.body.text !== last) {
      const open = openDetails(page);
      const focused = document.activeElement instanceof HTMLElement && page.contains(document.activeElement) ? document.activeElement.getAttribute('href') : null;
      page.innerHTML = view.body.text;
      last = view.body.text;
      page.querySelectorAll('details').forEach((d, i) => {
        if (open.has(`${i}:${d.querySelector('summary')?.textContent ?? ''}`)) d.open = true;
      });
      if (focused) page.querySelector<HTMLElement>(`a[href="${CSS.escape(focused)}"]`)?.focus();
    }
    document.body.dataset.changing = String(view.changing);
    // For the benchmark (test/bench/ui.mjs): when the page's data is in the DOM, and after the next frame (laid out and painted).
    performance.mark('aurora-ui:rendered');
    requestAnimationFrame(() => setTimeout(() => performance.mark('aurora-ui:painted')));
    window.setTimeout(() => void render(), view.changing ? FAST : SLOW);
  };
  await render();
  if (found.task) mountTail(found.task);
}

function mountTail(taskId: string): void {
  const files = ['stdout', 'stderr'];
  const asked = new URLSearchParams(location.search).get('file');
  const file = asked && !asked.split('/').includes('..') ? asked : 'stdout';
  const section = document.getElementById('extra')!;
  section.innerHTML = html`<h2>Sandbox</h2>
<nav class="tabs" aria-label="Sandbox files">${files.map((f) => (f === file ? html`<span aria-current="page">${f}</span>` : html`<a href="?file=${encodeURIComponent(f)}">${f}</a>`))}
<a href="${`/sandbox/${encodeURIComponent(taskId)}/${file.split('/').map(encodeURIComponent).join('/')}`}">raw</a></nav>
<form class="open" method="get"><label>Another file <input name="file" placeholder="e.g. .logs/run/0/stdout" value="${file === 'stdout' || file === 'stderr' ? '' : file}"></label> <button>Open</button></form>
<p><label><input type="checkbox" id="follow" checked> Follow</label> <span id="tail-state" role="status"></span></p>
<pre id="tail" class="tail" tabindex="0" aria-label="${file}"></pre>`.text;
  startTail(taskId, file, document.getElementById('tail')!, document.getElementById('tail-state')!, document.getElementById('follow') as HTMLInputElement);
}

void main();
