// app.js is the console: it loads the base map and the places once, polls
// the sites' states every few seconds (one request at a time, backing off
// on errors), and runs the search, the site panel, the "Now" list and the
// what-if. Everything it reads is vigie's own /api/v1, by relative URLs.
import { MapView, buildBase, project, frameOf } from './map.js';

const POLL_MS = 3000;      // state poll period
const MAX_BACKOFF_MS = 30000;
const STATE_WORDS = { n: 'nominal', d: 'degraded', i: 'isolated', u: 'unobserved' };
const PROTECTION = ['none', 'single', 'backup', 'dual', 'diverse'];

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k.nodeType ? k : String(k));
  return e;
};

// The read-only state a test (or a curious operator's devtools) reads.
const pub = {
  ready: false, sites: 0, placed: 0, drawn: { nominal: 0, degraded: 0, isolated: 0, unobserved: 0 },
  counts: {}, polls: 0, stateTime: null, firstDrawMs: null, site: null, now: [], whatif: null, errors: 0,
};
window.vigieConsole = pub;

let places = null;      // /api/v1/console/places
let siteIndex = new Map(); // id -> index
let haystack = [];      // lower-case search text per site
let state = null;       // last /api/v1/console/state
let view = null;

async function api(path, opts) {
  const r = await fetch(path, Object.assign({ headers: { Accept: 'application/json' } }, opts));
  const ct = r.headers.get('Content-Type') || '';
  const body = ct.includes('json') ? await r.json() : await r.text();
  if (!r.ok) throw new Error((body && body.error) || `${r.status} ${r.statusText}`);
  return body;
}

function status(msg, error) {
  const s = $('status');
  s.textContent = msg;
  s.className = error ? 'error' : '';
}

// ---- places and map -------------------------------------------------------

function setPlaces(p) {
  places = p;
  const n = p.sites.length;
  const x = new Float32Array(n), y = new Float32Array(n);
  siteIndex = new Map();
  haystack = new Array(n);
  let placed = 0;
  p.sites.forEach((s, i) => {
    const [id, name, lat, lon, region, dept, commune, devices, circuits] = s;
    siteIndex.set(id, i);
    haystack[i] = `${id} ${name} ${commune} ${dept} ${devices} ${circuits}`.toLowerCase();
    const q = lat == null ? null : project(lon, lat);
    if (q) { x[i] = q[0]; y[i] = q[1]; placed++; } else { x[i] = NaN; y[i] = NaN; }
  });
  view.sites = { n, x, y };
  pub.sites = n;
  pub.placed = placed;
  const where = new Map();
  view.places = [];
  for (const [kind, list] of [['pop', p.pops], ['dc', p.datacentres]]) {
    for (const q of list) {
      if (q.lat == null) continue;
      const f = frameOf(q.lon, q.lat);
      const xy = project(q.lon, q.lat);
      if (!xy) continue;
      where.set(`${kind}:${q.id}`, { xy, f });
      view.places.push({ x: xy[0], y: xy[1], kind, id: q.id, name: q.name });
    }
  }
  view.lines = [];
  for (const l of p.backbone) {
    const a = where.get(l.a), b = where.get(l.b);
    if (a && b && a.f === b.f) view.lines.push([a.xy[0], a.xy[1], b.xy[0], b.xy[1]]);
  }
  const sel = $('zoom-region');
  sel.length = 1;
  for (const r of p.regions) sel.append(el('option', { value: r.id }, r.name + (r.overseas ? ' (outre-mer)' : '')));
  fillWhatIfItems();
  view.redraw();
}

function zoomToSites(filter) {
  const { x, y, n } = view.sites;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!filter(i) || x[i] !== x[i]) continue;
    x0 = Math.min(x0, x[i]); x1 = Math.max(x1, x[i]); y0 = Math.min(y0, y[i]); y1 = Math.max(y1, y[i]);
  }
  if (x0 === Infinity) return;
  // At least a department around a single site, for context.
  const m = Math.max(0.6, (x1 - x0) * 0.08, (y1 - y0) * 0.08);
  view.fit(x0 - m, y0 - m, x1 + m, y1 + m);
}

function setupMap() {
  const c = $('map');
  view = new MapView(c);
  view.onDraw = (ms) => {
    const d = view.drawn;
    pub.drawn = { nominal: d.n, degraded: d.d, isolated: d.i, unobserved: d.u };
    pub.lastFrameMs = ms;
    if (pub.firstDrawMs == null && state && view.base && places) {
      // From the navigation's start: what the operator waits.
      pub.firstDrawMs = performance.now();
      pub.ready = true;
    }
  };
  let drag = null, moved = false;
  c.addEventListener('pointerdown', (e) => { drag = [e.clientX, e.clientY]; moved = false; c.setPointerCapture(e.pointerId); c.classList.add('dragging'); });
  c.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const dx = e.clientX - drag[0], dy = e.clientY - drag[1];
    if (Math.abs(dx) + Math.abs(dy) > 2) moved = true;
    drag = [e.clientX, e.clientY];
    view.pan(dx, dy);
  });
  c.addEventListener('pointerup', (e) => {
    c.classList.remove('dragging');
    drag = null;
    if (moved) return;
    const r = c.getBoundingClientRect();
    const sx = e.clientX - r.left, sy = e.clientY - r.top;
    if (!$('tab-whatif').hidden) {
      const p = view.nearestPlace(sx, sy);
      if (p && p.kind === 'pop') { addFailure('pop:' + p.id); return; }
    }
    const i = view.nearest(sx, sy);
    if (i >= 0) selectSite(places.sites[i][0]);
  });
  c.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = c.getBoundingClientRect();
    view.zoomAt(e.clientX - r.left, e.clientY - r.top, Math.exp(-e.deltaY * 0.002));
  }, { passive: false });
  c.addEventListener('dblclick', (e) => {
    const r = c.getBoundingClientRect();
    view.zoomAt(e.clientX - r.left, e.clientY - r.top, 2);
  });
  $('zoom-region').addEventListener('change', (e) => {
    const id = e.target.value;
    if (!id) { view.home(); return; }
    zoomToSites((i) => places.sites[i][4] === id);
  });
}

// ---- live state -----------------------------------------------------------

let backoff = POLL_MS;
async function poll() {
  try {
    const s = await api('api/v1/console/state');
    if (places && s.generation !== places.generation) setPlaces(await api('api/v1/console/places'));
    state = s;
    view.states = s.states;
    pub.polls++;
    pub.stateTime = s.time;
    pub.counts = s.counts;
    backoff = POLL_MS;
    status(`updated ${new Date().toLocaleTimeString()}`);
    renderCounts();
    renderNow();
    view.redraw();
  } catch (err) {
    pub.errors++;
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    status(`cannot read vigie's API (${err.message}); retrying in ${Math.round(backoff / 1000)} s`, true);
  }
  setTimeout(poll, backoff);
}

function renderCounts() {
  const c = $('counts');
  c.replaceChildren();
  for (const k of ['nominal', 'degraded', 'isolated', 'unobserved']) {
    c.append(el('span', {}, el('span', { class: 'dot ' + k }), `${(state.counts[k] || 0).toLocaleString('en')} ${k}`));
  }
}

// accessDevice is the device at the far end of a site's access link
// ("A:ifA--B:ifB"): the end that is not one of the site's own routers.
function accessDevice(link, siteDevices) {
  for (const end of link.split('--')) {
    const dev = end.split(':')[0];
    if (!siteDevices.includes(dev)) return dev;
  }
  return link;
}

// renderNow groups the sites not nominal by cause: an isolated site by its
// root cause, a degraded one by the device its failed access lands on;
// newest first.
function renderNow() {
  const groups = new Map();
  for (const [i, kind, cause, since] of state.problems) {
    const st = state.states[i];
    let key, label;
    if (st === 'i') {
      key = `i|${kind}|${cause}`;
      label = kind === 'internet' ? 'internet cut' : `${kind} ${cause}`;
    } else {
      if (cause) {
        const dev = accessDevice(cause.split(' ')[0], places.sites[i][7].split(' '));
        key = `d|${dev}`;
        label = `access down on ${dev}`;
      } else {
        key = 'd|';
        label = 'protection below design (no access seen down)';
      }
    }
    let g = groups.get(key);
    if (!g) groups.set(key, g = { st, label, kind, cause, sites: [], since: 0 });
    g.sites.push(i);
    g.since = Math.max(g.since, since);
  }
  const list = [...groups.values()].sort((a, b) => b.since - a.since || b.sites.length - a.sites.length);
  pub.now = list.map((g) => ({ state: STATE_WORDS[g.st], label: g.label, sites: g.sites.map((i) => places.sites[i][0]), since: g.since }));
  const tab = $('tab-now');
  const open = new Set([...tab.querySelectorAll('details[open]')].map((d) => d.dataset.key));
  tab.replaceChildren();
  if (!list.length) { tab.append(el('p', {}, 'Every observed site is nominal.')); return; }
  for (const g of list) {
    const key = g.st + g.label;
    const d = el('details', { class: 'group', 'data-key': key });
    if (open.has(key)) d.open = true;
    d.append(el('summary', {}, el('span', { class: 'state ' + STATE_WORDS[g.st] }, STATE_WORDS[g.st]), ` ${g.sites.length} site${g.sites.length > 1 ? 's' : ''} · ${g.label} · since ${when(g.since * 1000)}`));
    const ul = el('ul');
    for (const i of g.sites.slice(0, 100)) ul.append(el('li', {}, siteLink(places.sites[i][0])));
    if (g.sites.length > 100) ul.append(el('li', { class: 'muted' }, `and ${g.sites.length - 100} more`));
    d.append(ul);
    d.addEventListener('toggle', () => {
      if (d.open) { const set = new Set(g.sites); zoomToSites((i) => set.has(i)); }
    });
    tab.append(d);
  }
}

// when formats a time as local YYYY-MM-DD HH:MM:SS.
function when(t) {
  const d = new Date(t), p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function siteLink(id) {
  const i = siteIndex.get(id);
  const name = i == null ? id : `${places.sites[i][1]} (${id})`;
  return el('a', { class: 'site', onclick: () => selectSite(id) }, name);
}

// ---- search -----------------------------------------------------------------

function setupSearch() {
  const input = $('search'), out = $('results');
  let active = 0, hits = [];
  const render = () => {
    out.replaceChildren();
    hits.forEach((i, k) => {
      const s = places.sites[i];
      const li = el('li', { class: k === active ? 'active' : '' }, s[1], ' ', el('small', {}, `${s[0]} · ${s[6] || ''} ${s[5] ? '(' + s[5] + ')' : ''}`));
      li.addEventListener('mousedown', (e) => { e.preventDefault(); pick(i); });
      out.append(li);
    });
    out.hidden = hits.length === 0;
  };
  const pick = (i) => { out.hidden = true; input.value = places.sites[i][1]; selectSite(places.sites[i][0], true); };
  input.addEventListener('input', () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    hits = [];
    if (words.length && places) {
      for (let i = 0; i < haystack.length && hits.length < 20; i++) {
        if (words.every((w) => haystack[i].includes(w))) hits.push(i);
      }
    }
    active = 0;
    render();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { active = Math.min(active + 1, hits.length - 1); render(); e.preventDefault(); }
    if (e.key === 'ArrowUp') { active = Math.max(active - 1, 0); render(); e.preventDefault(); }
    if (e.key === 'Enter' && hits.length) pick(hits[active]);
    if (e.key === 'Escape') out.hidden = true;
  });
  input.addEventListener('blur', () => { out.hidden = true; });
}

// ---- a site's story -----------------------------------------------------------

let availability = null; // {at, rows: Map}
async function availabilityOf(id) {
  if (!availability || performance.now() - availability.at > 300000) {
    const now = new Date();
    const from = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
    const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
    try {
      const rep = await api(`api/v1/reports/availability?from=${from}&to=${next}&by=site&format=json`);
      availability = { at: performance.now(), rows: new Map(rep.groups.map((g) => [g.group, g])), error: null };
    } catch (err) {
      availability = { at: performance.now(), rows: new Map(), error: err.message };
    }
  }
  return availability;
}

function setTab(name) {
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.tab === name);
  for (const t of ['now', 'site', 'whatif']) $('tab-' + t).hidden = t !== name;
}

async function selectSite(id, zoom) {
  const i = siteIndex.get(id);
  if (i == null) return;
  view.selected = i;
  if (zoom) zoomToSites((k) => k === i);
  view.redraw();
  setHash({ site: id });
  setTab('site');
  const tab = $('tab-site');
  tab.replaceChildren(el('p', { class: 'muted' }, 'Loading ' + id + '…'));
  try {
    const [live, story, events, avail] = await Promise.all([
      api(`api/v1/sites/${encodeURIComponent(id)}`),
      api(`api/v1/console/sites/${encodeURIComponent(id)}`),
      api('api/v1/events?limit=1000'),
      availabilityOf(id),
    ]);
    if (view.selected !== i) return;
    renderSite(tab, i, live, story, events.events || [], avail);
  } catch (err) {
    tab.replaceChildren(el('p', {}, `Cannot read site ${id}: ${err.message}`));
    pub.site = { id, error: err.message };
  }
}

function renderSite(tab, i, live, story, events, avail) {
  const s = places.sites[i];
  const st = state ? STATE_WORDS[state.states[i]] : live.state;
  tab.replaceChildren();
  tab.append(el('h2', {}, `${story.name || s[1]} `, el('span', { class: 'state ' + st }, st)));
  tab.append(el('p', { class: 'muted' }, [story.id, story.commune, story.department && `(${story.department})`, story.region, story.ministry].filter(Boolean).join(' · ')));
  if (story.address) tab.append(el('p', {}, story.address));
  if (story.contact) tab.append(el('p', {}, 'Contact: ' + story.contact));
  let cause = '';
  if (live.isolated) {
    cause = live.cause_kind === 'internet' ? 'internet cut' : `${live.cause_kind} ${live.cause}`;
    tab.append(el('p', { id: 'site-cause' }, el('strong', {}, 'Isolated. Cause: '), cause));
  }
  // A central's verdict on a site whose collector is lost (docs/distributed.md, "Witnesses").
  const witness = live.alive_locally_witness || '';
  if (witness) {
    tab.append(el('p', { id: 'site-alive-locally' }, el('strong', {}, 'Partitioned from the centre, alive locally. '),
      `Its collector is lost, but witness ${witness} reaches its access routers: the site is up locally; nobody polls it (no interface data).`));
  } else if (live.state === 'unobserved') {
    tab.append(el('p', { id: 'site-unobserved' }, el('strong', {}, 'Unobserved. '),
      'The collector that polls its access routers is lost and no witness reaches them: vigie cannot tell whether the site is up.'));
  }
  tab.append(el('p', {}, `Protection designed ${PROTECTION[live.designed] || live.designed}, effective ${PROTECTION[live.effective] || live.effective}; ${live.disjoint_paths} disjoint path${live.disjoint_paths === 1 ? '' : 's'} to the datacentres now` +
    (live.isolated_if_internet_cut ? '; cut off if internet is lost' : '') + (live.routing ? `; BGP: ${live.routing}` : '')));
  tab.append(el('h3', {}, 'Single points of failure'));
  tab.append(live.spofs.length ? el('p', {}, live.spofs.join(', ')) : el('p', { class: 'muted' }, 'none'));

  tab.append(el('h3', {}, 'Accesses and their paths to the datacentres'));
  const states = new Map((live.access || []).map((a) => [a.id, a.state]));
  const tbl = el('table', {}, el('tr', {}, el('th', {}, 'access'), el('th', {}, 'state'), el('th', {}, 'path')));
  story.paths.forEach((p, k) => {
    const what = [p.technology, p.operator, p.circuit].filter(Boolean).join(' · ');
    const path = [p.router, `${p.device}${p.pop ? ' @' + p.pop : ''}`, p.uplinks.join(' / '), p.datacentres.join(' + ')].filter(Boolean).join(' → ');
    const risks = p.srlgs.length ? ` (SRLG ${p.srlgs.join(', ')})` : '';
    tbl.append(el('tr', {}, el('td', {}, `${k + 1}. ${what}${p.via_internet ? ' (via internet)' : ''}`), el('td', {}, states.get(p.link) || 'unknown'), el('td', {}, path + risks)));
  });
  tab.append(tbl);
  tab.append(el('h3', {}, 'Shared risks between the paths'));
  if (story.shared.length) {
    const ul = el('ul');
    for (const r of story.shared) ul.append(el('li', {}, `${r.risk}: paths ${r.paths.map((k) => k + 1).join(', ')}`));
    tab.append(ul);
  } else tab.append(el('p', { class: 'muted' }, story.paths.length > 1 ? 'none' : 'one access only'));

  tab.append(el('h3', {}, 'Availability this month'));
  const row = avail.rows.get(story.id);
  if (row && row.availability_percent != null) {
    tab.append(el('p', { id: 'site-availability' }, `${row.availability_percent.toFixed(3)} % · isolated ${Math.round(row.isolated_minutes)} min · degraded ${Math.round(row.degraded_minutes)} min · ${row.incidents} incident(s)`));
  } else {
    tab.append(el('p', { class: 'muted', id: 'site-availability' }, avail.error ? `no report: ${avail.error}` : 'not observed this month yet'));
  }

  tab.append(el('h3', {}, 'Recent events'));
  const mine = new Set([story.id, ...s[7].split(' ').filter(Boolean), ...story.paths.map((p) => p.link).filter(Boolean)]);
  const evs = events.filter((e) => mine.has(e.subject) || [...mine].some((m) => e.subject.startsWith(m + ':') || e.subject.includes('--') && e.subject.split('--').some((x) => x.split(':')[0] === m)));
  evs.sort((a, b) => (a.time < b.time ? 1 : -1));
  if (evs.length) {
    const ul = el('ul');
    for (const e of evs.slice(0, 15)) ul.append(el('li', {}, `${when(e.time)} ${e.kind} ${e.subject}${e.from || e.to ? `: ${e.from || ''} → ${e.to || ''}` : ''}${e.detail ? ' (' + e.detail + ')' : ''}`));
    tab.append(ul);
  } else tab.append(el('p', { class: 'muted' }, 'none in the recent history'));
  pub.site = { id: story.id, state: st, cause, witness, spofs: live.spofs, paths: story.paths.length, shared: story.shared.map((r) => r.risk) };
}

// ---- what-if --------------------------------------------------------------------

let chosen = [];
function fillWhatIfItems() {
  const kind = $('wi-kind').value;
  const list = $('wi-items');
  list.replaceChildren();
  for (const it of (places && places.failures[kind]) || []) list.append(el('option', { value: it.slice(kind.length + 1) }));
  $('wi-filter').hidden = kind === 'internet';
}

function addFailure(item) {
  if (!chosen.includes(item)) chosen.push(item);
  renderChosen();
}

function renderChosen() {
  const c = $('wi-chosen');
  c.replaceChildren();
  for (const it of chosen) c.append(el('span', { class: 'chip' }, it, el('button', { title: 'remove', onclick: () => { chosen = chosen.filter((x) => x !== it); renderChosen(); } }, '×')));
  const failedPoPs = new Set(chosen.filter((x) => x.startsWith('pop:')).map((x) => x.slice(4)));
  for (const p of view.places) p.failed = p.kind === 'pop' && failedPoPs.has(p.id);
  $('wi-link').href = '#whatif=' + chosen.map(encodeURIComponent).join(',');
  view.redraw();
}

async function runWhatIf() {
  const out = $('wi-result');
  if (!chosen.length) { out.replaceChildren(el('p', {}, 'Pick at least one failure.')); return; }
  setHash({ whatif: chosen });
  out.replaceChildren(el('p', { class: 'muted' }, 'Computing…'));
  try {
    const r = await api('api/v1/whatif', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ fail: chosen }) });
    const hl = new Uint8Array(view.sites.n);
    for (const id of r.isolated_sites) { const i = siteIndex.get(id); if (i != null) hl[i] = 1; }
    view.highlight = hl;
    view.redraw();
    pub.whatif = { fail: [...chosen], isolated: r.isolated_sites, newly: r.newly_isolated_sites, degraded: r.degraded_sites };
    out.replaceChildren(el('p', { id: 'wi-summary' }, el('strong', {}, `${r.isolated_sites.length} sites cut off`), ` (${r.newly_isolated_sites.length} newly, on top of what had failed at ${when(Date.now()).slice(11)}; ${r.degraded_sites.length} more degraded)`));
    const byRegion = new Map();
    for (const id of r.newly_isolated_sites) {
      const i = siteIndex.get(id);
      const reg = i == null ? '?' : places.sites[i][4];
      if (!byRegion.has(reg)) byRegion.set(reg, []);
      byRegion.get(reg).push(id);
    }
    for (const [reg, ids] of [...byRegion].sort((a, b) => b[1].length - a[1].length)) {
      const d = el('details', { class: 'group' }, el('summary', {}, `${reg}: ${ids.length} newly cut off`));
      const ul = el('ul');
      for (const id of ids.slice(0, 200)) ul.append(el('li', {}, siteLink(id)));
      if (ids.length > 200) ul.append(el('li', { class: 'muted' }, `and ${ids.length - 200} more`));
      d.append(ul);
      out.append(d);
    }
    if (r.causes && r.causes.length) {
      out.append(el('h3', {}, 'By root cause'));
      const ul = el('ul');
      for (const c of r.causes) ul.append(el('li', {}, `${c.cause.join(' + ')}: ${c.sites.length} site${c.sites.length > 1 ? 's' : ''}`));
      out.append(ul);
    }
  } catch (err) {
    out.replaceChildren(el('p', {}, 'What-if failed: ' + err.message));
    pub.whatif = { fail: [...chosen], error: err.message };
  }
}

function setupWhatIf() {
  $('wi-kind').addEventListener('change', fillWhatIfItems);
  $('wi-add').addEventListener('click', () => {
    const kind = $('wi-kind').value;
    if (kind === 'internet') { addFailure('internet'); return; }
    const v = $('wi-filter').value.trim();
    if (!v) return;
    addFailure(`${kind}:${v}`);
    $('wi-filter').value = '';
  });
  $('wi-run').addEventListener('click', runWhatIf);
  $('wi-clear').addEventListener('click', () => {
    chosen = []; view.highlight = null; pub.whatif = null; $('wi-result').replaceChildren(); renderChosen(); setHash({});
  });
  for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => setTab(b.dataset.tab));
}

// ---- the URL: #site=ID or #whatif=a,b ----------------------------------------

function setHash(h) {
  let s = '';
  if (h.site) s = 'site=' + encodeURIComponent(h.site);
  if (h.whatif) s = 'whatif=' + h.whatif.map(encodeURIComponent).join(',');
  history.replaceState(null, '', s ? '#' + s : location.pathname + location.search);
}

function readHash() {
  const h = location.hash.slice(1);
  if (h.startsWith('site=')) selectSite(decodeURIComponent(h.slice(5)), true);
  if (h.startsWith('whatif=')) {
    chosen = h.slice(7).split(',').filter(Boolean).map(decodeURIComponent);
    renderChosen();
    setTab('whatif');
    runWhatIf();
  }
}

// ---- start --------------------------------------------------------------------

async function start() {
  setupMap();
  setupSearch();
  setupWhatIf();
  status('loading…');
  try {
    const [geo, p] = await Promise.all([api('console/france.json'), api('api/v1/console/places')]);
    view.base = buildBase(geo);
    setPlaces(p);
  } catch (err) {
    status(`cannot load the console's data (${err.message}); reload the page`, true);
    return;
  }
  await poll();
  readHash();
  window.addEventListener('hashchange', readHash);
}

// benchPan pans the map by dx pixels on each of frames animation frames
// and resolves with the time between frames and the time each draw took
// (ms), for the benchmark.
// mode 'zoom' zooms in or out by 2 % about the centre instead, and
// 'repaint' pans but repaints the layer each frame (what a zoom's rest or a
// new state costs).
pub.benchPan = (frames, dx = 7, mode = 'pan') => new Promise((resolve) => {
  const intervals = [], draws = [];
  let last = performance.now(), k = 0;
  const step = () => {
    const now = performance.now();
    if (k > 0) intervals.push(now - last);
    last = now;
    if (++k > frames) { resolve({ intervals, draws }); return; }
    if (mode === 'repaint') view.version++;
    if (mode === 'zoom') {
      const f = k % 40 < 20 ? 1.02 : 1 / 1.02, cx = view.w / 2, cy = view.h / 2;
      view.tx = cx - (cx - view.tx) * f;
      view.ty = cy - (cy - view.ty) * f;
      view.s *= f;
    } else view.tx += (k % 40 < 20 ? dx : -dx);
    const d0 = performance.now();
    view.draw();
    draws.push(performance.now() - d0);
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
});
pub.stateOf = (id) => (state && siteIndex.has(id) ? STATE_WORDS[state.states[siteIndex.get(id)]] : null);
pub.zoomRegion = (id) => { $('zoom-region').value = id; $('zoom-region').dispatchEvent(new Event('change')); };

start();
