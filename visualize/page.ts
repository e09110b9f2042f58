/**
 * The live view's page: one HTML document with its CSS and script inline (works offline). It
 * listens to /events (server-sent events, see liveView.ts) and keeps, in `window.liveView.applied`,
 * when each state update reached the DOM and the next frame after it — the figures the live-view
 * benchmark reads.
 */
export function liveViewPage(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><span id="connection" data-connected="false">connecting…</span></header>
<div id="layout">
  <aside>
    <section id="leases"><h2>Leases</h2><p class="empty">no lease reported yet</p></section>
    <section id="log-panel"><h2>Transitions</h2><ol id="log"></ol></section>
  </aside>
  <main id="actors"><p class="empty">no actor registered yet</p></main>
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; background: #f4f5f7; }
header { display: flex; align-items: baseline; gap: 1rem; padding: .6rem 1rem; background: #1f2328; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
#connection { font-size: .85rem; color: #f0b72f; }
#connection[data-connected="true"] { color: #6fdd8b; }
#layout { display: grid; grid-template-columns: minmax(18rem, 24rem) 1fr; gap: 1rem; padding: 1rem; align-items: start; }
aside { position: sticky; top: 1rem; display: flex; flex-direction: column; gap: 1rem; max-height: calc(100vh - 5rem); }
section, .actor { background: #fff; border: 1px solid #d8dbe0; border-radius: 8px; padding: .75rem 1rem; }
h2 { font-size: .95rem; margin: 0 0 .5rem; }
.empty { color: #6b7280; margin: 0; }
.lease dl { display: grid; grid-template-columns: auto 1fr; gap: .15rem .75rem; margin: 0; }
.lease dt { color: #6b7280; }
.lease dd { margin: 0; font-variant-numeric: tabular-nums; }
.lease .holder { font-weight: 600; }
#log-panel { display: flex; flex-direction: column; min-height: 12rem; overflow: hidden; }
#log { list-style: none; margin: 0; padding: 0; overflow-y: auto; font: 12px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace; flex: 1; }
#log li { padding-left: 4.5em; text-indent: -4.5em; }
#log .time { color: #6b7280; }
#log .who { font-weight: 600; }
#log .event { color: #7c4dff; }
#actors { display: flex; flex-direction: column; gap: 1rem; min-width: 0; }
.actor header { all: unset; display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
.actor h2 { margin: 0; }
.actor .state { font: 600 14px ui-monospace, SFMono-Regular, Menlo, monospace; padding: .1rem .45rem; border-radius: 4px; background: #fff3c4; }
.actor[data-status="done"] .state { background: #e5e7eb; }
.actor .summary { color: #4b5563; }
.diagram { margin-top: .5rem; overflow: hidden; cursor: zoom-in; }
.diagram svg { width: 100%; height: auto; display: block; }
.diagram.zoomed { overflow: auto; max-height: 80vh; cursor: zoom-out; }
.diagram.zoomed svg { width: auto; }
g.state.active > path, g.state.active > polygon, g.state.active > ellipse { fill: #ffe08a; stroke: #c47f00; stroke-width: 2.5; }
g.cluster.state.active > path { fill: #fffaeb; }
`;

const SCRIPT = `
(() => {
  const view = (window.liveView = { connected: false, applied: [] });
  const diagrams = new Map();
  const cards = new Map();
  const leases = new Map();
  const now = () => performance.timeOrigin + performance.now();
  const $ = (selector, root = document) => root.querySelector(selector);
  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  function showDiagram(card) {
    const svg = diagrams.get(card.diagram);
    if (!svg || card.shown === card.diagram) return;
    const holder = $('.diagram', card.node);
    holder.innerHTML = svg.slice(svg.indexOf('<svg'));
    card.shown = card.diagram;
    card.states = new Map();
    for (const group of holder.querySelectorAll('g.state')) {
      const name = group.querySelector('title')?.textContent ?? '';
      card.states.set(name.replace(/^cluster_/, ''), group);
    }
    card.highlighted = [];
  }

  function highlight(card) {
    if (!card.states) return;
    for (const group of card.highlighted) group.classList.remove('active');
    card.highlighted = card.active.map((id) => card.states.get(id)).filter(Boolean);
    for (const group of card.highlighted) group.classList.add('active');
  }

  function applyState(card, message) {
    card.active = message.active;
    const state = $('.state', card.node);
    state.textContent = message.state;
    card.node.dataset.state = message.state;
    card.node.dataset.status = message.status;
    $('.summary', card.node).textContent = message.summary;
    highlight(card);
    const entry = { seq: message.seq, id: message.id, state: message.state, emittedAt: message.emittedAt, appliedAt: now(), paintedAt: null };
    view.applied.push(entry);
    if (view.applied.length > 5000) view.applied.shift();
    requestAnimationFrame(() => (entry.paintedAt = now()));
  }

  const handlers = {
    diagram(message) {
      diagrams.set(message.key, message.svg);
      for (const card of cards.values()) if (card.diagram === message.key) { showDiagram(card); highlight(card); }
    },
    actor(message) {
      let card = cards.get(message.id);
      if (!card) {
        $('#actors > .empty')?.remove();
        const node = element('article', 'actor');
        node.dataset.actor = message.id;
        const head = element('header');
        head.append(element('h2', '', message.id), element('span', 'state'), element('span', 'summary'));
        const diagram = element('div', 'diagram');
        diagram.title = 'click to zoom';
        diagram.addEventListener('click', () => diagram.classList.toggle('zoomed'));
        node.append(head, diagram);
        $('#actors').append(node);
        card = { node, diagram: null, shown: null };
        cards.set(message.id, card);
      }
      card.diagram = message.diagram;
      showDiagram(card);
      applyState(card, message);
    },
    state(message) {
      const card = cards.get(message.id);
      if (card) applyState(card, message);
    },
    lease(message) {
      let lease = leases.get(message.name);
      if (!lease) {
        $('#leases > .empty')?.remove();
        const node = element('div', 'lease');
        node.dataset.lease = message.name;
        node.innerHTML = '<dl><dt>lease</dt><dd class="name"></dd><dt>holder</dt><dd class="holder"></dd><dt>term</dt><dd class="term"></dd><dt>expires in</dt><dd class="expiry"></dd></dl>';
        $('.name', node).textContent = message.name;
        $('#leases').append(node);
        lease = { node };
        leases.set(message.name, lease);
      }
      lease.expiresAt = message.expiresInMs === null ? null : performance.now() + message.expiresInMs;
      $('.holder', lease.node).textContent = message.holder || '(none)';
      $('.term', lease.node).textContent = String(message.term);
      lease.node.dataset.holder = message.holder;
      tick();
    },
    log(message) {
      const list = $('#log');
      const follow = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
      const item = element('li');
      item.append(element('span', 'time', message.at.padStart(8) + ' '), element('span', 'who', message.id), ' ', element('span', 'event', message.event), ' ' + message.from + ' → ' + message.to);
      list.append(item);
      while (list.children.length > 500) list.firstElementChild.remove();
      if (follow) list.scrollTop = list.scrollHeight;
    },
  };

  function tick() {
    for (const lease of leases.values()) {
      const left = lease.expiresAt === null ? null : lease.expiresAt - performance.now();
      $('.expiry', lease.node).textContent = left === null ? 'free' : left > 0 ? (left / 1000).toFixed(1) + ' s' : 'expired';
    }
  }
  setInterval(tick, 100);

  const connection = $('#connection');
  const events = new EventSource('/events');
  events.onopen = () => {
    $('#log').replaceChildren();
    view.connected = true;
    connection.dataset.connected = 'true';
    connection.textContent = 'live';
  };
  events.onerror = () => {
    view.connected = false;
    connection.dataset.connected = 'false';
    connection.textContent = 'reconnecting…';
  };
  events.onmessage = (event) => {
    const message = JSON.parse(event.data);
    handlers[message.type]?.(message);
  };
})();
`;
