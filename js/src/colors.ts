/** Colours: a categorical palette for clusters and categories, a continuous ramp, theme parsing. */

export type RGBA = [number, number, number, number];

// Tableau 10 followed by ten lighter/darker companions: distinct on light and dark backgrounds.
const BASE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#2f5f8a', '#c46a12', '#a83639', '#4a908b', '#3b7a34',
  '#b8962a', '#7f4f79', '#d4707b', '#6f4f3a', '#7f7a76',
];

/** k distinct colours as hex strings; beyond the base palette, hues step by the golden angle. */
export function categoricalPalette(k: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(k, 1); i++) {
    if (i < BASE.length) {
      out.push(BASE[i]);
    } else {
      const hue = (i * 137.508) % 360;
      const light = 45 + 15 * ((i >> 1) % 2);
      out.push(hslToHex(hue, 55, light));
    }
  }
  return out;
}

// Viridis anchor colours; intermediate steps are interpolated.
const VIRIDIS = [
  '#440154', '#482878', '#3e4989', '#31688e', '#26828e',
  '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725',
];

/** A continuous ramp of `steps` hex colours (viridis). */
export function continuousRamp(steps = 256): string[] {
  const anchors = VIRIDIS.map(hexToRgb);
  const out: string[] = [];
  for (let i = 0; i < steps; i++) {
    const t = (i / Math.max(steps - 1, 1)) * (anchors.length - 1);
    const j = Math.min(Math.floor(t), anchors.length - 2);
    const f = t - j;
    const rgb = [0, 1, 2].map((c) => Math.round(anchors[j][c] * (1 - f) + anchors[j + 1][c] * f));
    out.push(rgbToHex(rgb[0], rgb[1], rgb[2]));
  }
  return out;
}

export function hexToRgb(hex: string): [number, number, number] {
  let h = hex.replace('#', '');
  if (h.length === 3) h = h.split('').map((c) => c + c).join('');
  const n = parseInt(h.slice(0, 6), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function rgbToHex(r: number, g: number, b: number): string {
  return '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('');
}

function hslToHex(h: number, s: number, l: number): string {
  s /= 100;
  l /= 100;
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return rgbToHex(Math.round(255 * f(0)), Math.round(255 * f(8)), Math.round(255 * f(4)));
}

/** Parse a CSS colour as computed styles give it (#hex, rgb(), rgba()); null if unknown. */
export function parseCssColor(text: string | null | undefined): RGBA | null {
  if (!text) return null;
  const t = text.trim().toLowerCase();
  if (t.startsWith('#')) {
    const h = t.slice(1);
    if (![3, 4, 6, 8].includes(h.length) || /[^0-9a-f]/.test(h)) return null;
    const full = h.length <= 4 ? h.split('').map((c) => c + c).join('') : h;
    const n = (i: number) => parseInt(full.slice(i, i + 2), 16) / 255;
    return [n(0), n(2), n(4), full.length === 8 ? n(6) : 1];
  }
  const m = t.match(/^rgba?\(([^)]+)\)$/);
  if (m) {
    const parts = m[1].split(/[\s,/]+/).filter(Boolean);
    if (parts.length < 3) return null;
    const [r, g, b] = parts.slice(0, 3).map((p) => Number.parseFloat(p) / 255);
    const a = parts.length > 3 ? Number.parseFloat(parts[3]) : 1;
    if ([r, g, b, a].some((v) => Number.isNaN(v))) return null;
    return [r, g, b, a];
  }
  return null;
}

/** Perceived brightness below the middle: a dark theme. */
export function isDark(color: RGBA): boolean {
  return 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2] < 0.5;
}

/** Min and max of the finite values (for a continuous colour scale). */
export function finiteRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** Values scaled to [0, 1] for the continuous ramp; NaN shows as the low end. */
export function normalise(values: ArrayLike<number>, range: [number, number]): Float32Array {
  const [lo, hi] = range;
  const span = hi - lo || 1;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const t = (values[i] - lo) / span;
    out[i] = t >= 0 ? (t <= 1 ? t : 1) : 0; // NaN fails both tests and lands on 0
  }
  return out;
}
