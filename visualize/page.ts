/**
 * The live view's page: one HTML document with its CSS and script inline (works offline). Each
 * actor's card shows its overview with the active state highlighted and named down to the sub-state
 * ("acquiring · waiting"); a click on a state with states inside opens its detail diagram below.
 * It listens to /events (server-sent events, see liveView.ts) and keeps, in `window.liveView.applied`,
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
<div id="panels">
  <section id="leases"><h2>Leases</h2><p class="empty">no lease reported yet</p></section>
  <section id="log-panel"><h2>Transitions</h2><ol id="log"></ol></section>
</div>
<main id="actors"><p class="empty">no actor registered yet</p></main>
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
body > header { display: flex; align-items: baseline; gap: 1rem; padding: .6rem 1rem; background: #1f2328; color: #fff; }
body > header h1 { font-size: 1.1rem; margin: 0; }
#connection { font-size: .85rem; color: #f0b72f; }
#connection[data-connected="true"] { color: #6fdd8b; }
#panels { display: grid; grid-template-columns: minmax(16rem, 22rem) 1fr; gap: 1rem; padding: 1rem 1rem 0; }
section, .actor { background: #fff; border: 1px solid #d8dbe0; border-radius: 8px; padding: .75rem 1rem; }
h2 { font-size: .95rem; margin: 0 0 .5rem; }
.empty { color: #6b7280; margin: 0; }
.lease dl { display: grid; grid-template-columns: auto 1fr; gap: .15rem .75rem; margin: 0; }
.lease dt { color: #6b7280; }
.lease dd { margin: 0; font-variant-numeric: tabular-nums; }
.lease .holder { font-weight: 600; }
#log-panel { display: flex; flex-direction: column; height: 11rem; overflow: hidden; }
#log { list-style: none; margin: 0; padding: 0; overflow-y: auto; font: 12px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace; flex: 1; }
#log li { padding-left: 4.5em; text-indent: -4.5em; }
#log .time { color: #6b7280; }
#log .who { font-weight: 600; }
#log .event { color: #7c4dff; }
#actors { display: flex; flex-direction: column; gap: 1rem; padding: 1rem; min-width: 0; }
.actor > header { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
.actor h2 { margin: 0; }
.actor .current { font: 600 14px ui-monospace, SFMono-Regular, Menlo, monospace; padding: .1rem .45rem; border-radius: 4px; background: #fff3c4; }
.actor[data-status="done"] .current { background: #e5e7eb; }
.actor .summary { color: #4b5563; }
.actor .hint { margin-left: auto; color: #6b7280; font-size: .8rem; }
.diagram { margin-top: .5rem; overflow-x: auto; }
.diagram svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.detail { margin-top: .75rem; border: 1px solid #e3c16f; background: #fffdf5; padding: .5rem .75rem; }
.detail > header { display: flex; align-items: baseline; gap: .75rem; }
.detail button { margin-left: auto; font: inherit; font-size: .8rem; border: 1px solid #d8dbe0; border-radius: 4px; background: #fff; padding: .1rem .6rem; cursor: pointer; }
.diagram g.node[data-detail] { cursor: pointer; }
.diagram g.node[data-detail]:hover path, .diagram g.node[data-detail]:hover polygon { stroke: #7c4dff; }
.diagram g.node[data-open] path, .diagram g.node[data-open] polygon { stroke: #c47f00; stroke-dasharray: 4 2; }
g.node.state.active path, g.node.state.active polygon, g.node.state.active ellipse { fill: #ffe08a; stroke: #c47f00; stroke-width: 2.5; }
g.active-row text { fill: #8a4b00; font-weight: 700; }
g.active-row rect { fill: #ffc94d; }
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
  // "acquiring.waiting" as a reader says it: "acquiring · waiting".
  const spoken = (state) => state.split('.').join(' · ');

  /** Puts an SVG into a holder; returns its state boxes by state id (each <title> is one). */
  function place(holder, svg, details) {
    holder.innerHTML = svg.slice(svg.indexOf('<svg'));
    const boxes = new Map();
    for (const group of holder.querySelectorAll('g.node.state')) {
      const id = group.querySelector('title')?.textContent ?? '';
      boxes.set(id, group);
      if (details[id]) group.dataset.detail = id;
    }
    return boxes;
  }

  function showDiagram(card) {
    const diagram = diagrams.get(card.diagram);
    if (!diagram || card.shown === card.diagram) return;
    card.shown = card.diagram;
    card.boxes = place($('.overview', card.node), diagram.overview, diagram.details);
    $('.hint', card.node).textContent = Object.keys(diagram.details).length ? 'click a state with states inside to see them' : '';
    if (card.open && !diagram.details[card.open]) closeDetail(card);
    else if (card.open) openDetail(card, card.open);
  }

  function openDetail(card, id) {
    const diagram = diagrams.get(card.diagram);
    const detail = $('.detail', card.node);
    card.open = id;
    card.node.dataset.detail = id;
    card.detailBoxes = place($('.diagram', detail), diagram.details[id], diagram.details);
    detail.hidden = false;
    for (const [boxId, group] of card.boxes) group.toggleAttribute('data-open', boxId === id);
    highlight(card);
  }

  function closeDetail(card) {
    card.open = null;
    delete card.node.dataset.detail;
    $('.detail', card.node).hidden = true;
    card.detailBoxes = new Map();
    for (const group of card.boxes?.values() ?? []) group.removeAttribute('data-open');
  }

  /** A click on a state with states inside opens its detail (the SVG's own link would leave the page). */
  function onDiagramClick(card, event) {
    const group = event.target.closest('g.node[data-detail]');
    if (!group) return;
    event.preventDefault();
    if (card.open === group.dataset.detail && group.closest('.overview')) closeDetail(card);
    else openDetail(card, group.dataset.detail);
  }

  function highlight(card) {
    for (const node of card.node.querySelectorAll('.diagram .active, .diagram .active-row')) node.classList.remove('active', 'active-row');
    for (const node of card.node.querySelectorAll('.diagram rect.row-mark')) node.remove();
    for (const boxes of [card.boxes, card.detailBoxes]) {
      for (const id of card.active) boxes?.get(id)?.classList.add('active');
    }
    // Inside a highlighted box, its active child's row.
    for (const id of card.active) {
      for (const row of card.node.querySelectorAll('.diagram g[id="a_' + CSS.escape(id) + '"]')) {
        row.classList.add('active-row');
        const text = row.querySelector('text');
        if (!text) continue;
        const box = text.getBBox();
        const mark = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
        mark.setAttribute('class', 'row-mark');
        mark.setAttribute('x', box.x - 3);
        mark.setAttribute('y', box.y - 1);
        mark.setAttribute('width', box.width + 6);
        mark.setAttribute('height', box.height + 2);
        mark.setAttribute('rx', 3);
        text.before(mark);
      }
    }
  }

  function applyState(card, message) {
    card.active = message.active;
    $('.current', card.node).textContent = spoken(message.state);
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
      diagrams.set(message.key, message);
      for (const card of cards.values()) if (card.diagram === message.key) { showDiagram(card); highlight(card); }
    },
    actor(message) {
      let card = cards.get(message.id);
      if (!card) {
        $('#actors > .empty')?.remove();
        const node = element('article', 'actor');
        node.dataset.actor = message.id;
        const head = element('header');
        head.append(element('h2', '', message.id), element('span', 'current'), element('span', 'summary'), element('span', 'hint'));
        const overview = element('div', 'diagram overview');
        const detail = element('section', 'detail');
        detail.hidden = true;
        const detailHead = element('header');
        const close = element('button', '', 'close');
        detailHead.append(close);
        detail.append(detailHead, element('div', 'diagram'));
        node.append(head, overview, detail);
        $('#actors').append(node);
        card = { node, diagram: null, shown: null, open: null, active: [] };
        cards.set(message.id, card);
        const current = card;
        overview.addEventListener('click', (event) => onDiagramClick(current, event));
        $('.diagram', detail).addEventListener('click', (event) => onDiagramClick(current, event));
        close.addEventListener('click', () => closeDetail(current));
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
