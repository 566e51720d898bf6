// map.js draws the RIE on one canvas: mainland France and the overseas
// territories in insets on its left, laid out on one plane whose unit is a
// degree of latitude, so that zoom and pan move everything together.
// 14,000 sites are one path per state, not DOM nodes.

// Frames: the mainland and the insets. bbox is [lon0, lon1, lat0, lat1];
// box is where the frame sits on the plane [x, y, w, h] (the mainland's
// is computed).
const MAINLAND = { id: 'mainland', name: 'France métropolitaine', bbox: [-5.6, 10.0, 41.2, 51.3] };
const INSETS = [
  { id: 'gua', name: 'Guadeloupe, St-Barthélemy, St-Martin', bbox: [-63.3, -60.8, 15.75, 18.2] },
  { id: 'mtq', name: 'Martinique', bbox: [-61.32, -60.75, 14.36, 14.92] },
  { id: 'guf', name: 'Guyane', bbox: [-54.7, -51.5, 2.0, 5.9] },
  { id: 'reu', name: 'La Réunion', bbox: [55.15, 55.9, -21.45, -20.8] },
  { id: 'myt', name: 'Mayotte', bbox: [44.95, 45.35, -13.05, -12.6] },
  { id: 'spm', name: 'Saint-Pierre-et-Miquelon', bbox: [-56.5, -56.0, 46.7, 47.2] },
  { id: 'pyf', name: 'Polynésie française (îles de la Société)', bbox: [-152.0, -148.9, -18.0, -16.2] },
  { id: 'ncl', name: 'Nouvelle-Calédonie', bbox: [163.5, 168.3, -22.8, -19.5] },
  { id: 'wlf', name: 'Wallis-et-Futuna', bbox: [-178.3, -175.9, -14.45, -13.1] },
];

const rad = Math.PI / 180;

function setupFrames() {
  const m = MAINLAND;
  m.kx = Math.cos(((m.bbox[2] + m.bbox[3]) / 2) * rad);
  m.scale = 1;
  m.box = [0, 0, (m.bbox[1] - m.bbox[0]) * m.kx, m.bbox[3] - m.bbox[2]];
  const W = 2.3, H = 1.95;
  INSETS.forEach((f, i) => {
    const col = i < 5 ? 0 : 1, row = i < 5 ? i : i - 5;
    f.box = [-5.0 + col * 2.45, 0.05 + row * 2.05, W, H];
    f.kx = Math.cos(((f.bbox[2] + f.bbox[3]) / 2) * rad);
    const w = (f.bbox[1] - f.bbox[0]) * f.kx, h = f.bbox[3] - f.bbox[2];
    f.scale = Math.min((W * 0.92) / w, (H * 0.86) / h);
    f.ox = f.box[0] + (W - w * f.scale) / 2;
    f.oy = f.box[1] + H * 0.1 + (H * 0.9 - h * f.scale) / 2;
  });
  m.ox = 0; m.oy = 0;
}
setupFrames();
export const FRAMES = [MAINLAND, ...INSETS];

function inside(f, lon, lat) {
  return lon >= f.bbox[0] && lon <= f.bbox[1] && lat >= f.bbox[2] && lat <= f.bbox[3];
}

// frameOf returns the frame a position is drawn in, or null.
export function frameOf(lon, lat) {
  for (const f of INSETS) if (inside(f, lon, lat)) return f;
  return inside(MAINLAND, lon, lat) ? MAINLAND : null;
}

// toPlane projects a position within frame f (equirectangular, scaled by
// the cosine of the frame's middle latitude).
export function toPlane(f, lon, lat) {
  return [f.ox + (lon - f.bbox[0]) * f.kx * f.scale, f.oy + (f.bbox[3] - lat) * f.scale];
}

// project returns the plane position of a WGS84 position, or null when it
// lies in no frame.
export function project(lon, lat) {
  const f = frameOf(lon, lat);
  return f ? toPlane(f, lon, lat) : null;
}

// buildBase turns the base map (mapgen's delta-encoded rings, 1/quantum
// degree) into one Path2D per layer, on the plane. A ring lies in the frame
// of its first point and is dropped if it leaves that frame (the far
// islands of Polynesia), so that insets stay within their boxes.
export function buildBase(geo) {
  const q = geo.quantum;
  const layer = (shapes) => {
    const p = new Path2D();
    for (const s of shapes) {
      for (const r of s.rings) {
        let x = 0, y = 0;
        const pts = [];
        for (let i = 0; i < r.length; i += 2) {
          x += r[i]; y += r[i + 1];
          pts.push(x / q, y / q);
        }
        const f = frameOf(pts[0], pts[1]);
        if (!f) continue;
        let ok = true;
        for (let i = 0; i < pts.length && ok; i += 2) ok = inside(f, pts[i], pts[i + 1]);
        if (!ok) continue;
        for (let i = 0; i < pts.length; i += 2) {
          const [px, py] = toPlane(f, pts[i], pts[i + 1]);
          if (i === 0) p.moveTo(px, py); else p.lineTo(px, py);
        }
        p.closePath();
      }
    }
    return p;
  };
  return { departments: layer([...geo.departments, ...geo.collectivities]), regions: layer(geo.regions) };
}

// The colours of the site states (as the stylesheet's).
export const COLOURS = { n: '#2e9e5b', d: '#f0a500', i: '#d7263d', u: '#9aa3ad' };
// Drawing order: the worst on top.
const ORDER = ['n', 'u', 'd', 'i'];

// MapView owns the canvas, the view (scale s and offset tx, ty: screen =
// plane * s + t, in CSS pixels) and what is drawn.
export class MapView {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { alpha: false });
    this.s = 1; this.tx = 0; this.ty = 0;
    this.base = null;
    this.sites = { n: 0, x: new Float32Array(0), y: new Float32Array(0) };
    this.states = '';
    this.places = [];   // {x, y, kind: 'pop'|'dc', id}
    this.lines = [];    // [x0, y0, x1, y1]
    this.highlight = null; // Uint8Array: 1 for sites cut off in the what-if
    this.selected = -1;
    this.drawn = { n: 0, d: 0, i: 0, u: 0 };
    this.pending = false;
    this.version = 0;
    this.cache = null;
    this.onDraw = null;
    new ResizeObserver(() => this.resize()).observe(canvas);
  }

  resize() {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.w = r.width; this.h = r.height;
    this.canvas.width = Math.max(1, Math.round(r.width * dpr));
    this.canvas.height = Math.max(1, Math.round(r.height * dpr));
    this.dpr = dpr;
    if (!this.fitted) { this.home(); this.fitted = this.w > 0; }
    this.redraw();
  }

  // fit shows the plane rectangle [x0, y0]-[x1, y1].
  fit(x0, y0, x1, y1) {
    if (!this.w) return;
    const s = 0.95 * Math.min(this.w / (x1 - x0), this.h / (y1 - y0));
    this.s = s;
    this.tx = this.w / 2 - ((x0 + x1) / 2) * s;
    this.ty = this.h / 2 - ((y0 + y1) / 2) * s;
    this.redraw();
  }

  home() { this.fit(-5.1, -0.1, MAINLAND.box[2] + 0.1, MAINLAND.box[3] + 0.1); }

  zoomAt(px, py, k) {
    const s = Math.min(Math.max(this.s * k, 10), 40000);
    k = s / this.s;
    this.tx = px - (px - this.tx) * k;
    this.ty = py - (py - this.ty) * k;
    this.s = s;
    this.redraw();
  }

  // pan moves the view: the cached layer is moved, not repainted.
  pan(dx, dy) { this.tx += dx; this.ty += dy; this.redraw(true); }

  // redraw schedules a draw; keep says nothing drawn has changed but the
  // offset, so that the cached layer can be reused.
  redraw(keep) {
    if (!keep) this.version++;
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }

  // nearest returns the index of the site nearest the screen point within
  // px pixels, or -1.
  nearest(sx, sy, px = 8) {
    const { x, y, n } = this.sites;
    let best = -1, bd = px * px;
    for (let i = 0; i < n; i++) {
      const dx = x[i] * this.s + this.tx - sx, dy = y[i] * this.s + this.ty - sy;
      const d = dx * dx + dy * dy;
      if (d < bd) { bd = d; best = i; }
    }
    return best;
  }

  nearestPlace(sx, sy, px = 10) {
    let best = null, bd = px * px;
    for (const p of this.places) {
      const dx = p.x * this.s + this.tx - sx, dy = p.y * this.s + this.ty - sy;
      const d = dx * dx + dy * dy;
      if (d < bd) { bd = d; best = p; }
    }
    return best;
  }

  // draw paints the view. Everything is painted into a cached layer a
  // half screen larger than the view on each side; panning within that
  // margin only copies the layer, so that a frame costs one image copy
  // rather than a repaint of 14,000 sites and the base map (software
  // rendering). While the scale changes (a zoom), the layer is copied
  // scaled, and painted anew once the zoom has rested for a quarter of a
  // second, as map applications do.
  draw() {
    const t0 = performance.now();
    const { ctx, dpr, s, tx, ty } = this;
    let c = this.cache;
    const fresh = c && c.version === this.version && c.w === this.w && c.h === this.h && c.dpr === dpr;
    const k = c ? s / c.s : 1;
    if (fresh && k !== 1 && !this.force && k > 0.25 && k < 4) {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = '#e9eef3';
      ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
      ctx.drawImage(c.canvas, dpr * (tx - (c.tx + c.M) * k), dpr * (ty - (c.ty + c.M) * k),
        c.canvas.width * k, c.canvas.height * k);
      clearTimeout(this.rest);
      this.rest = setTimeout(() => { this.force = true; this.redraw(true); }, 250);
      if (this.onDraw) this.onDraw(performance.now() - t0);
      return;
    }
    if (!fresh || k !== 1 || this.force || Math.abs(tx - c.tx) > c.M || Math.abs(ty - c.ty) > c.M) {
      const M = Math.round(Math.max(this.w, this.h) / 2);
      const canvas = (c && c.canvas) || document.createElement('canvas');
      canvas.width = Math.round((this.w + 2 * M) * dpr);
      canvas.height = Math.round((this.h + 2 * M) * dpr);
      c = this.cache = { canvas, s, tx, ty, M, w: this.w, h: this.h, dpr, version: this.version };
      this.force = false;
      this.paint(canvas.getContext('2d', { alpha: false }), this.w + 2 * M, this.h + 2 * M, tx + M, ty + M);
    }
    const M = c.M;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(c.canvas, Math.round((tx - c.tx - M) * dpr), Math.round((ty - c.ty - M) * dpr));
    if (this.onDraw) this.onDraw(performance.now() - t0);
  }

  // paint draws everything on ctx, a W x H (CSS pixels) canvas, with the
  // plane's origin at (tx, ty).
  paint(ctx, Wc, Hc, tx, ty) {
    const { dpr, s } = this;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#e9eef3';
    ctx.fillRect(0, 0, Wc, Hc);
    // Inset boxes and their names.
    ctx.font = '11px system-ui, sans-serif';
    for (const f of INSETS) {
      const [x, y, w, h] = f.box;
      ctx.fillStyle = '#dde4ea';
      ctx.fillRect(x * s + tx, y * s + ty, w * s, h * s);
      ctx.strokeStyle = '#b8c2cc';
      ctx.lineWidth = 1;
      ctx.strokeRect(x * s + tx, y * s + ty, w * s, h * s);
      if (w * s > 60) {
        ctx.fillStyle = '#5f6b78';
        ctx.fillText(f.name, x * s + tx + 3, y * s + ty + 12, w * s - 6);
      }
    }
    if (this.base) {
      ctx.setTransform(dpr * s, 0, 0, dpr * s, dpr * tx, dpr * ty);
      ctx.fillStyle = '#fbfcfd';
      ctx.fill(this.base.departments);
      ctx.strokeStyle = '#c3cbd3';
      ctx.lineWidth = 0.7 / s;
      ctx.stroke(this.base.departments);
      ctx.strokeStyle = '#8a96a3';
      ctx.lineWidth = 1.4 / s;
      ctx.stroke(this.base.regions);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    }
    // Backbone.
    ctx.strokeStyle = 'rgba(43, 76, 126, 0.45)';
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    for (const l of this.lines) {
      ctx.moveTo(l[0] * s + tx, l[1] * s + ty);
      ctx.lineTo(l[2] * s + tx, l[3] * s + ty);
    }
    ctx.stroke();
    // Sites, one path per state, those off screen left out.
    const { x, y, n } = this.sites;
    const st = this.states;
    const r0 = Math.min(5, Math.max(1.6, 1.2 + Math.log2(s / 40)));
    const r = r0 * 1.6;
    const drawn = { n: 0, d: 0, i: 0, u: 0 };
    const W = Wc + r, H = Hc + r;
    for (const c of ORDER) {
      // Sites in trouble are drawn larger, so that a few stand out among
      // thousands of nominal ones.
      const r = c === 'i' || c === 'd' ? r0 * 1.6 : r0;
      ctx.beginPath();
      let k = 0;
      for (let i = 0; i < n; i++) {
        if (st.charCodeAt(i) !== c.charCodeAt(0)) continue;
        const sx = x[i] * s + tx, sy = y[i] * s + ty;
        if (sx !== sx || sx < -r || sy < -r || sx > W || sy > H) continue;
        ctx.rect(sx - r, sy - r, 2 * r, 2 * r);
        k++;
      }
      ctx.fillStyle = COLOURS[c];
      ctx.fill();
      drawn[c] = k;
    }
    if (this.highlight) {
      ctx.strokeStyle = '#7b2cbf';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        if (!this.highlight[i]) continue;
        const sx = x[i] * s + tx, sy = y[i] * s + ty;
        if (sx !== sx || sx < -r || sy < -r || sx > W || sy > H) continue;
        ctx.rect(sx - r - 1.5, sy - r - 1.5, 2 * r + 3, 2 * r + 3);
      }
      ctx.stroke();
    }
    // PoPs and datacentres, hollow so that the sites around them show.
    for (const p of this.places) {
      const sx = p.x * s + tx, sy = p.y * s + ty;
      if (sx < -8 || sy < -8 || sx > Wc + 8 || sy > Hc + 8) continue;
      const q = p.kind === 'dc' ? 6 : 4.5;
      ctx.lineWidth = 3.5;
      ctx.strokeStyle = '#fff';
      ctx.strokeRect(sx - q, sy - q, 2 * q, 2 * q);
      ctx.lineWidth = 2;
      ctx.strokeStyle = p.kind === 'dc' ? '#000' : (p.failed ? '#7b2cbf' : '#2b4c7e');
      ctx.strokeRect(sx - q, sy - q, 2 * q, 2 * q);
    }
    if (this.selected >= 0 && x[this.selected] === x[this.selected]) {
      const sx = x[this.selected] * s + tx, sy = y[this.selected] * s + ty;
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(sx, sy, r + 6, 0, 2 * Math.PI);
      ctx.stroke();
    }
    this.drawn = drawn;
  }
}
