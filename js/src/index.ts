/**
 * ClusterWidget front end: the latent space as a WebGL scatter plot (regl-scatterplot), with a
 * toolbar that turns the selection into feedback, a legend, a feedback list, a progress line and
 * tooltips. Python owns labels and feedback; this file renders them and sends intents.
 */

import createScatterplot from 'regl-scatterplot';
import type { AnyModel, RenderProps } from '@anywidget/types';

import { decodeArray, encodeArray, splitXY, type WireArray } from './codec';
import {
  categoricalPalette,
  continuousRamp,
  finiteRange,
  isDark,
  normalise,
  parseCssColor,
  type RGBA,
} from './colors';
import { formatNumber, formatPercent, progressShare, progressText } from './format';
import { buildIntent, isBusy, parseEpochs, type ActionName, type IntentState } from './intents';
import {
  dominantOtherLabel,
  indicesOfLabel,
  mergeSelection,
  normalizeSelection,
  sameSelection,
} from './selection';
import { ChangeBatcher, LatestOnly } from './schedule';
import { cubicInOut, ndcToScreen, type ViewState } from './view';
import './widget.css';

interface FeedbackItem {
  id: number;
  kind: string;
  label: string;
}

interface WidgetModel {
  points: WireArray | null;
  labels: WireArray | null;
  confidence: WireArray | null;
  color_by: string;
  color_options: string[];
  color_values: WireArray | null;
  color_categories: string[];
  n_clusters: number;
  cluster_sizes: number[];
  selection: WireArray | null;
  feedback_points: WireArray | null;
  feedback_items: FeedbackItem[];
  active_cluster: number;
  epochs: number;
  status: string;
  phase: string;
  epoch: number;
  n_epochs: number;
  loss: number;
  delta_label: number;
  message: string;
  can_undo: boolean;
  can_redo: boolean;
  pending_group: number;
  height: number;
  point_size: number;
  transition_ms: number;
}

type Model = AnyModel<WidgetModel>;
type DataKey = 'points' | 'labels' | 'confidence' | 'color';
type Scatterplot = ReturnType<typeof createScatterplot>;

const CLUSTER_KINDS = new Set(['merge', 'split', 'new_cluster']);
const MAX_RINGS = 5000;
const RAMP = continuousRamp(256);

const BUTTONS: Array<{ action: ActionName; label: string; title: string; group: string }> = [
  { action: 'include', label: 'Move to cluster', title: 'The selected points belong in the picked cluster', group: 'feedback' },
  { action: 'exclude', label: 'Not in cluster', title: 'The selected points do not belong in the cluster they are in now', group: 'feedback' },
  { action: 'must_link', label: 'Link', title: 'The selected points belong together', group: 'feedback' },
  { action: 'cannot_link', label: 'Separate', title: 'Keep points apart: select two points, or a group, press, then select the other group and press again', group: 'feedback' },
  { action: 'new_cluster', label: 'New cluster', title: 'Start a new cluster from the selected points', group: 'feedback' },
  { action: 'merge', label: 'Merge', title: 'Merge the cluster most selected points are in into the picked cluster', group: 'feedback' },
  { action: 'split', label: 'Split', title: 'Split the picked cluster in two: the selected points start the new part (with nothing selected, 2-means inside the cluster)', group: 'feedback' },
  { action: 'undo', label: 'Undo', title: 'Take back the last feedback', group: 'history' },
  { action: 'redo', label: 'Redo', title: 'Apply again what Undo took back', group: 'history' },
];

const CONTROL_BUTTONS: Array<{ action: ActionName; label: string; title: string }> = [
  { action: 'refine', label: 'Refine', title: 'Train on under the feedback given' },
  { action: 'stop', label: 'Stop', title: 'Stop training at the next batch' },
];

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string> = {},
  children: Array<Node | string> = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else el.setAttribute(key, value);
  }
  for (const child of children) el.append(child);
  return el;
}

function isVSCode(): boolean {
  return typeof (window as unknown as { vscIPyWidgets?: unknown }).vscIPyWidgets !== 'undefined';
}

function autoPointSize(n: number): number {
  if (n <= 1_000) return 6;
  if (n <= 10_000) return 4;
  if (n <= 100_000) return 2.5;
  return 1.5;
}

class ClusterView {
  private readonly root: HTMLDivElement;
  private readonly plot: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly overlay: HTMLCanvasElement;
  private readonly tooltip: HTMLDivElement;
  private readonly placeholder: HTMLDivElement;
  private readonly selectionInfo: HTMLDivElement;
  private readonly hint: HTMLDivElement;
  private readonly messageBox: HTMLDivElement;
  private readonly messageText: HTMLSpanElement;
  private readonly progress: HTMLDivElement;
  private readonly progressBar: HTMLDivElement;
  private readonly progressLabel: HTMLSpanElement;
  private readonly legend: HTMLDivElement;
  private readonly feedbackList: HTMLUListElement;
  private readonly feedbackTitle: HTMLElement;
  private readonly clusterPicker: HTMLSelectElement;
  private readonly colorPicker: HTMLSelectElement;
  private readonly epochsInput: HTMLInputElement;
  private readonly lassoButton: HTMLButtonElement;
  private readonly buttons = new Map<ActionName, HTMLButtonElement>();
  private scatter: Scatterplot | null = null;
  private readonly cleanups: Array<() => void> = [];

  // Current data, decoded once per change (typed arrays, never per-row arrays).
  private n = 0;
  private x: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  private labels: ArrayLike<number> = new Uint8Array(0);
  private confidence: Float32Array = new Float32Array(0);
  private selection: Uint32Array = new Uint32Array(0);
  private feedbackPoints: Uint32Array = new Uint32Array(0);
  private drawnCount = 0;
  private framesDrawn = 0;
  private viewState: ViewState = { view: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], width: 1, height: 1 };
  private rings: { from: Float32Array; to: Float32Array; start: number; duration: number } | null = null;
  private ringFrame = 0;
  private hovered = -1;
  private mouse: [number, number] = [0, 0];
  private tooltipCache = new Map<number, { rows: Array<[string, string]>; text?: string; image?: ImageData }>();
  private tooltipTimer: ReturnType<typeof setTimeout> | null = null;
  private hintTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly draws: LatestOnly<Set<DataKey>>;
  private readonly batcher: ChangeBatcher<DataKey>;
  private lasso = false;
  /** Keep all points in view as they move, until the person pans or zooms themselves. */
  private followPoints = true;
  private fitRequested = false;
  private theme: { bg: RGBA; fg: RGBA; accent: RGBA; dark: boolean } | null = null;

  constructor(
    private readonly model: Model,
    private readonly el: HTMLElement,
  ) {
    // ---- DOM -----------------------------------------------------------------------------
    this.root = h('div', { class: 'nc-root', 'data-testid': 'nc-root', tabindex: '0' });
    this.clusterPicker = h('select', { 'data-testid': 'cluster-picker', 'aria-label': 'Cluster' });
    this.colorPicker = h('select', { 'data-testid': 'color-by', 'aria-label': 'Colour by' });
    this.epochsInput = h('input', {
      type: 'number', min: '1', step: '1', 'data-testid': 'epochs', 'aria-label': 'Epochs', class: 'nc-epochs',
    });
    this.lassoButton = h('button', {
      type: 'button', class: 'nc-btn nc-toggle', 'data-testid': 'btn-lasso', 'aria-pressed': 'false',
      'aria-label': 'Lasso', title: 'Drag to draw a lasso (or hold Alt while dragging)', text: 'Lasso',
    });

    const toolbar = h('div', { class: 'nc-toolbar', role: 'toolbar', 'aria-label': 'Clustering feedback' });
    const pickerLabel = h('label', { class: 'nc-field' }, [h('span', { text: 'Cluster' }), this.clusterPicker]);
    toolbar.append(pickerLabel);
    let group = '';
    for (const spec of BUTTONS) {
      if (group && spec.group !== group) toolbar.append(h('span', { class: 'nc-sep', 'aria-hidden': 'true' }));
      group = spec.group;
      const button = h('button', {
        type: 'button', class: 'nc-btn', 'data-testid': `btn-${spec.action.replace('_', '-')}`,
        'data-action': spec.action, 'aria-label': spec.label, title: spec.title, text: spec.label,
      });
      button.addEventListener('click', () => this.act(spec.action));
      this.buttons.set(spec.action, button);
      toolbar.append(button);
    }
    toolbar.append(h('span', { class: 'nc-sep', 'aria-hidden': 'true' }));
    // Epochs, Refine and Stop wrap as one piece, and so do the view controls: a narrow notebook
    // puts whole groups on the second row, never Stop apart from Refine.
    const run = h('span', { class: 'nc-group' }, [
      h('label', { class: 'nc-field' }, [h('span', { text: 'Epochs' }), this.epochsInput]),
    ]);
    for (const { action, label, title } of CONTROL_BUTTONS) {
      const button = h('button', {
        type: 'button', class: `nc-btn nc-${action}`, 'data-testid': `btn-${action}`, 'data-action': action,
        'aria-label': label, title, text: label,
      });
      button.addEventListener('click', () => this.act(action));
      this.buttons.set(action, button);
      run.append(button);
    }
    toolbar.append(run);
    toolbar.append(h('span', { class: 'nc-spacer' }));
    toolbar.append(h('span', { class: 'nc-group' }, [
      this.lassoButton,
      h('label', { class: 'nc-field' }, [h('span', { text: 'Colour' }), this.colorPicker]),
    ]));

    this.progressBar = h('div', { class: 'nc-progress-bar' });
    this.progressLabel = h('span', { class: 'nc-progress-label', 'data-testid': 'progress-text' });
    this.progress = h('div', {
      class: 'nc-progress', 'data-testid': 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
    }, [h('div', { class: 'nc-progress-track' }, [this.progressBar]), this.progressLabel]);

    this.messageText = h('span', { 'data-testid': 'message-text' });
    const dismiss = h('button', {
      type: 'button', class: 'nc-dismiss', 'aria-label': 'Dismiss message', 'data-testid': 'message-dismiss', text: '×',
    });
    dismiss.addEventListener('click', () => {
      this.model.set('message', '');
      this.model.save_changes();
    });
    this.messageBox = h('div', { class: 'nc-message', role: 'alert', 'data-testid': 'message', hidden: '' }, [
      this.messageText, dismiss,
    ]);

    this.canvas = h('canvas', { class: 'nc-canvas', 'data-testid': 'scatter-canvas' });
    this.overlay = h('canvas', { class: 'nc-overlay', 'aria-hidden': 'true' });
    this.tooltip = h('div', { class: 'nc-tooltip', 'data-testid': 'tooltip', role: 'tooltip', hidden: '' });
    this.placeholder = h('div', { class: 'nc-placeholder', text: 'Waiting for the first clustering…' });
    this.selectionInfo = h('div', { class: 'nc-selection-info', 'data-testid': 'selection-info' });
    const fit = h('button', {
      type: 'button', class: 'nc-btn nc-fit', 'data-testid': 'btn-fit', 'aria-label': 'Fit view',
      title: 'Zoom to show all points', text: 'Fit',
    });
    fit.addEventListener('click', () => {
      this.fitRequested = true;
      this.requestFit();
    });
    this.hint = h('div', { class: 'nc-hint', 'data-testid': 'hint', role: 'status', 'aria-live': 'polite' });
    this.plot = h('div', { class: 'nc-plot', 'data-testid': 'plot' }, [
      this.canvas, this.overlay, this.placeholder, this.tooltip, this.selectionInfo, this.hint, fit,
    ]);

    this.legend = h('div', { class: 'nc-legend', 'data-testid': 'legend' });
    this.feedbackTitle = h('div', { class: 'nc-side-title', text: 'Feedback' });
    this.feedbackList = h('ul', { class: 'nc-feedback-list', 'data-testid': 'feedback-list' });
    const side = h('div', { class: 'nc-side' }, [
      h('div', { class: 'nc-side-title', text: 'Legend' }), this.legend, this.feedbackTitle, this.feedbackList,
    ]);
    const help = h('div', {
      class: 'nc-help',
      text: 'Drag: pan · Wheel: zoom · Click: select · Shift-click: add · Alt-drag or Lasso: lasso · Esc: clear',
    });
    const main = h('div', { class: 'nc-main' }, [h('div', { class: 'nc-plot-column' }, [this.plot, help]), side]);
    this.root.append(toolbar, this.progress, this.messageBox, main);
    this.el.replaceChildren(this.root);
    if (isVSCode()) this.root.classList.add('nc-vscode');

    this.draws = new LatestOnly<Set<DataKey>>(
      (keys) => this.drawData(keys),
      (error) => console.warn('nudgecluster: draw failed', error),
      (waiting, incoming) => new Set([...waiting, ...incoming]),
    );
    this.batcher = new ChangeBatcher<DataKey>((keys) => {
      this.decode(keys);
      this.draws.push(keys);
    });

    this.wireDom();
    this.wireModel();
    this.root.style.height = `${this.model.get('height') || 500}px`;
    this.applyTheme();
    this.createScatter();
    this.decode(new Set(['points', 'labels', 'confidence', 'color']));
    this.readSelection();
    this.readFeedbackPoints();
    this.updateControls();
    this.updateLegend();
    this.updateFeedbackList();
    this.updateProgress();
    this.updateMessage();
    this.exposeDebugHook();
    if (this.n) this.draws.push(new Set(['points', 'labels', 'confidence', 'color']));
  }

  // ---- scatter plot --------------------------------------------------------------------

  private createScatter(): void {
    const { width, height } = this.plotSize();
    const theme = this.theme!;
    const scatter = createScatterplot({
      canvas: this.canvas,
      width,
      height,
      pointSize: this.pointSize(),
      backgroundColor: theme.bg,
      pointColor: categoricalPalette(1),
      pointColorActive: theme.accent,
      pointColorHover: theme.fg,
      lassoColor: theme.accent,
      lassoOnLongPress: true,
      lassoLongPressIndicatorParentElement: this.plot,
      actionKeyMap: { lasso: 'alt', merge: 'shift' },
      deselectOnEscape: false,
      deselectOnDblClick: true,
      opacityInactiveScale: 0.6,
      pointOutlineWidth: 2,
      pointSizeSelected: 1,
      // From a million points on, the plot would build its spatial index (for lasso and hover)
      // in a worker; posting it the points, one small array per point, takes longer than
      // building the index here (a draw of 1M points took about twice as long that way).
      spatialIndexUseWorker: false,
    } as never);
    this.scatter = scatter;
    scatter.subscribe('select', ({ points }: { points: number[] }) => this.onScatterSelect(points));
    scatter.subscribe('deselect', () => this.onScatterSelect([]));
    scatter.subscribe('pointOver', (i: number) => this.onPointOver(i));
    scatter.subscribe('pointOut', () => this.onPointOut());
    scatter.subscribe('view', ({ view }: { view: ArrayLike<number> }) => this.onView(view));
  }

  private plotSize(): { width: number; height: number } {
    const rect = this.plot.getBoundingClientRect();
    return { width: Math.max(1, Math.floor(rect.width)), height: Math.max(1, Math.floor(rect.height)) };
  }

  private pointSize(): number {
    const size = this.model.get('point_size');
    return size > 0 ? size : autoPointSize(this.n);
  }

  /** Decode the traits named by `keys` into typed arrays. */
  private decode(keys: Set<DataKey>): void {
    if (keys.has('points')) {
      const points = decodeArray(this.model.get('points'));
      if (points && points.shape.length === 2 && points.shape[1] === 2) {
        const xy = splitXY(points.data as Float32Array);
        this.x = xy.x;
        this.y = xy.y;
        this.n = this.x.length;
      } else {
        this.x = new Float32Array(0);
        this.y = new Float32Array(0);
        this.n = 0;
      }
    }
    if (keys.has('labels')) {
      this.labels = decodeArray(this.model.get('labels'))?.data ?? new Uint8Array(0);
    }
    if (keys.has('confidence')) {
      this.confidence = (decodeArray(this.model.get('confidence'))?.data as Float32Array) ?? new Float32Array(0);
    }
  }

  /** What the scatter plot's z (categorical) and w (continuous) channels hold, and which one colours. */
  private encoding(): { z: ArrayLike<number>; w: Float32Array; colorBy: 'valueA' | 'valueB'; colors: string[] } {
    const n = this.n;
    const colorBy = this.model.get('color_by') || 'cluster';
    const k = Math.max(1, this.model.get('n_clusters') || 1);
    const z = this.labels.length === n ? this.labels : new Uint8Array(n);
    const confidence = this.confidence.length === n ? this.confidence : new Float32Array(n);
    if (colorBy === 'cluster' || colorBy === 'confidence') {
      const w = normalise(confidence, [1 / k, 1]);
      if (colorBy === 'confidence') return { z, w, colorBy: 'valueB', colors: RAMP };
      return { z, w, colorBy: 'valueA', colors: categoricalPalette(Math.max(k, maxOf(z) + 1)) };
    }
    const values = decodeArray(this.model.get('color_values'));
    const categories = this.model.get('color_categories') ?? [];
    if (values && values.data.length === n && values.data instanceof Float32Array) {
      return { z, w: normalise(values.data, finiteRange(values.data)), colorBy: 'valueB', colors: RAMP };
    }
    if (values && values.data.length === n) {
      return {
        z: values.data,
        w: normalise(confidence, [1 / k, 1]),
        colorBy: 'valueA',
        colors: categoricalPalette(Math.max(categories.length, maxOf(values.data) + 1)),
      };
    }
    return { z, w: normalise(confidence, [1 / k, 1]), colorBy: 'valueA', colors: categoricalPalette(k) };
  }

  private async drawData(keys: Set<DataKey>): Promise<void> {
    const scatter = this.scatter;
    if (!scatter) return;
    this.placeholder.hidden = this.n > 0;
    if (!this.n) {
      if (this.drawnCount) scatter.clear();
      this.drawnCount = 0;
      this.drawRings();
      return;
    }
    if (keys.size === 0) {
      // Only a camera request (the Fit button).
      if (this.fitRequested) await this.fitView(true);
      this.fitRequested = false;
      return;
    }
    const { z, w, colorBy, colors } = this.encoding();
    // Same-length lists: selected points in the accent colour, hovered in the text colour
    // (with a single colour the plot would keep each point's own colour for those states).
    const theme = this.theme!;
    scatter.set({
      colorBy,
      pointColor: colors,
      pointColorActive: colors.map(() => theme.accent),
      pointColorHover: colors.map(() => theme.fg),
      pointSize: this.pointSize(),
    } as never);
    const moved = keys.has('points');
    const transitionMs = Math.max(0, this.model.get('transition_ms') ?? 0);
    const transition = moved && this.drawnCount === this.n && transitionMs > 0;
    const options: Record<string, unknown> = {
      zDataType: 'categorical',
      wDataType: 'continuous',
      preventFilterReset: true,
    };
    if (transition) {
      options.transition = true;
      options.transitionDuration = transitionMs;
      this.startRingTransition(transitionMs);
    }
    if (!moved && this.drawnCount === this.n) {
      // Same positions: reuse the spatial index instead of rebuilding it.
      const index = scatter.get('spatialIndex' as never);
      if (index) options.spatialIndex = index;
    }
    if (this.selection.length) options.select = Array.from(this.selection);
    const first = this.drawnCount === 0;
    await scatter.draw({ x: this.x, y: this.y, z, w } as never, options as never);
    // Camera moves share the plot's transition machinery with point moves, so they come after.
    if (first) await this.fitView(false);
    else if (this.fitRequested || (this.followPoints && this.needsRefit())) await this.fitView(true, 250);
    this.fitRequested = false;
    this.drawnCount = this.n;
    this.framesDrawn++;
    this.root.dataset.framesDrawn = String(this.framesDrawn);
    this.root.dataset.nPoints = String(this.n);
    if (first) this.root.dataset.ready = '1';
    if (!transition) this.drawRings();
  }

  private bounds(): [number, number, number, number] {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < this.n; i++) {
      const x = this.x[i], y = this.y[i];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    return [x0, y0, x1, y1];
  }

  /** Zoom so that every point is in view (with a margin). */
  private async fitView(animate: boolean, duration = 300): Promise<void> {
    if (!this.scatter || !this.n) return;
    const [x0, y0, x1, y1] = this.bounds();
    const pad = 0.06 * Math.max(x1 - x0, y1 - y0, 1e-3);
    await this.scatter.zoomToArea(
      { x: x0 - pad, y: y0 - pad, width: x1 - x0 + 2 * pad, height: y1 - y0 + 2 * pad },
      { transition: animate, transitionDuration: duration },
    );
  }

  /** The Fit button: now if nothing is moving, else right after the current draw. */
  private requestFit(): void {
    this.followPoints = true;
    if (this.draws.busy) this.fitRequested = true;
    else this.draws.push(new Set());
  }

  /** Whether the new positions leave the view, or fill less than half of it. */
  private needsRefit(): boolean {
    const [x0, y0, x1, y1] = this.bounds();
    const [sx0, sy0] = ndcToScreen(this.viewState, x0, y1);
    const [sx1, sy1] = ndcToScreen(this.viewState, x1, y0);
    const { width, height } = this.viewState;
    if (sx0 < 0 || sy0 < 0 || sx1 > width || sy1 > height) return true;
    return (sx1 - sx0) < 0.5 * width && (sy1 - sy0) < 0.5 * height;
  }

  // ---- selection -------------------------------------------------------------------------

  private onScatterSelect(points: number[]): void {
    const next = normalizeSelection(points, this.n);
    if (sameSelection(next, this.selection)) return;
    this.selection = next;
    this.model.set('selection', encodeArray(next));
    this.model.save_changes();
    this.updateSelectionInfo();
    this.updateControls();
  }

  /** Apply the `selection` trait (set from Python, or the echo of our own change). */
  private readSelection(): void {
    const decoded = decodeArray(this.model.get('selection'));
    const next = decoded ? normalizeSelection(decoded.data, this.n || undefined) : new Uint32Array(0);
    const current = this.scatter ? (this.scatter.get('selectedPoints') as number[]) : [];
    this.selection = next;
    if (this.scatter && this.drawnCount && !sameSelection(next, current)) {
      if (next.length) this.scatter.select(Array.from(next), { preventEvent: true });
      else this.scatter.deselect({ preventEvent: true });
    }
    this.updateSelectionInfo();
    this.updateControls();
  }

  private setSelection(indices: ArrayLike<number>, add: boolean): void {
    const next = add ? mergeSelection(this.selection, indices) : normalizeSelection(indices, this.n);
    if (this.scatter && this.drawnCount) {
      if (next.length) this.scatter.select(Array.from(next), { preventEvent: true });
      else this.scatter.deselect({ preventEvent: true });
    }
    this.onScatterSelect(Array.from(next));
  }

  private updateSelectionInfo(): void {
    const m = this.selection.length;
    this.selectionInfo.textContent = m ? `${m.toLocaleString()} selected` : '';
    this.selectionInfo.hidden = m === 0;
    this.root.dataset.selected = String(m);
  }

  // ---- actions ---------------------------------------------------------------------------

  private intentState(): IntentState {
    const active = this.model.get('active_cluster');
    return {
      selectionSize: this.selection.length,
      activeCluster: active,
      nClusters: this.model.get('n_clusters'),
      epochs: parseEpochs(this.epochsInput.value),
      status: this.model.get('status'),
      canUndo: this.model.get('can_undo'),
      canRedo: this.model.get('can_redo'),
      pendingGroup: this.model.get('pending_group') ?? 0,
      mergePartner: dominantOtherLabel(this.selection, this.labels, active),
    };
  }

  private act(action: ActionName, extra: { id?: number } = {}): void {
    const intent = buildIntent(action, this.intentState(), extra);
    if (!intent.ok) {
      this.showHint(intent.reason);
      return;
    }
    if (intent.usesSelection) {
      // The kernel reads the selection trait: make sure it has ours before the action arrives.
      this.model.set('selection', encodeArray(this.selection));
    }
    if (action === 'refine' && intent.message.epochs !== undefined) {
      this.model.set('epochs', intent.message.epochs);
    }
    this.model.save_changes();
    this.model.send(intent.message);
  }

  private showHint(text: string): void {
    this.hint.textContent = text;
    this.hint.classList.add('nc-visible');
    if (this.hintTimer) clearTimeout(this.hintTimer);
    this.hintTimer = setTimeout(() => this.hint.classList.remove('nc-visible'), 4000);
  }

  // ---- DOM wiring ------------------------------------------------------------------------

  private wireDom(): void {
    const on = <K extends keyof HTMLElementEventMap>(
      target: HTMLElement | Window | MediaQueryList,
      type: K | string,
      handler: (event: never) => void,
      options?: AddEventListenerOptions,
    ) => {
      target.addEventListener(type, handler as EventListener, options);
      this.cleanups.push(() => target.removeEventListener(type, handler as EventListener, options));
    };

    on(this.clusterPicker, 'change', () => {
      this.model.set('active_cluster', Number(this.clusterPicker.value));
      this.model.save_changes();
      this.updateControls();
    });
    on(this.colorPicker, 'change', () => {
      this.model.set('color_by', this.colorPicker.value);
      this.model.save_changes();
    });
    on(this.epochsInput, 'change', () => {
      const epochs = parseEpochs(this.epochsInput.value);
      if (Number.isFinite(epochs)) {
        this.model.set('epochs', epochs);
        this.model.save_changes();
      }
      this.updateControls();
    });
    on(this.epochsInput, 'keydown', (event: KeyboardEvent) => {
      event.stopPropagation(); // typing digits must not trigger notebook shortcuts
      if (event.key === 'Enter') this.act('refine');
    });
    on(this.lassoButton, 'click', () => this.setLasso(!this.lasso));
    on(this.root, 'keydown', (event: KeyboardEvent) => {
      if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return;
      if (event.key === 'Escape') {
        event.stopPropagation();
        event.preventDefault();
        this.setSelection([], false);
      }
    });
    // Keep the plot's wheel and drag gestures out of the notebook (no page scroll while zooming).
    on(this.plot, 'wheel', (event: WheelEvent) => {
      event.preventDefault();
      event.stopPropagation();
      this.followPoints = false; // the person zooms: stop moving the camera for them
    }, { passive: false });
    on(this.plot, 'pointerdown', () => this.root.focus({ preventScroll: true }));
    // A press that travelled (a pan, or a lasso closed near where it began) is not a click:
    // without this the plot would replace a lasso selection by the point under the cursor.
    let pressedAt: [number, number] | null = null;
    let travelled = 0;
    on(this.plot, 'mousedown', (event: MouseEvent) => {
      pressedAt = [event.clientX, event.clientY];
      travelled = 0;
    }, { capture: true });
    on(window, 'mousemove', (event: MouseEvent) => {
      if (pressedAt) travelled = Math.max(travelled, Math.hypot(event.clientX - pressedAt[0], event.clientY - pressedAt[1]));
    });
    on(this.plot, 'click', (event: MouseEvent) => {
      if (pressedAt && travelled > 4) {
        event.stopPropagation();
        if (!this.lasso && !event.altKey) this.followPoints = false; // a pan
      }
      pressedAt = null;
    }, { capture: true });
    on(this.plot, 'mousemove', (event: MouseEvent) => {
      const rect = this.plot.getBoundingClientRect();
      this.mouse = [event.clientX - rect.left, event.clientY - rect.top];
      if (this.hovered >= 0) this.placeTooltip();
    });
    on(this.plot, 'mouseleave', () => this.onPointOut());

    const resize = new ResizeObserver(() => this.onResize());
    resize.observe(this.plot);
    this.cleanups.push(() => resize.disconnect());

    // Follow the host's theme (JupyterLab and VS Code switch classes/attributes on <body>).
    const themeObserver = new MutationObserver(() => this.applyTheme());
    themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-jp-theme-light', 'data-vscode-theme-kind', 'style'] });
    this.cleanups.push(() => themeObserver.disconnect());
    const media = window.matchMedia?.('(prefers-color-scheme: dark)');
    if (media) on(media, 'change', () => this.applyTheme());
  }

  private setLasso(active: boolean): void {
    this.lasso = active;
    this.lassoButton.setAttribute('aria-pressed', String(active));
    this.scatter?.set({ mouseMode: active ? 'lasso' : 'panZoom' } as never);
  }

  private resizeTimer: ReturnType<typeof setTimeout> | null = null;

  private onResize(): void {
    this.applyTheme(); // the first resize is when the element is in the page and styles resolve
    const { width, height } = this.plotSize();
    this.scatter?.set({ width, height } as never);
    const dpr = window.devicePixelRatio || 1;
    this.overlay.width = Math.round(width * dpr);
    this.overlay.height = Math.round(height * dpr);
    this.overlay.style.width = `${width}px`;
    this.overlay.style.height = `${height}px`;
    this.viewState = { ...this.viewState, width, height };
    this.root.dataset.view = JSON.stringify(this.viewState);
    this.drawRings();
    // A height the person dragged to is kept (it survives re-rendering the output).
    const rootHeight = Math.round(this.root.getBoundingClientRect().height);
    if (rootHeight > 0 && Math.abs(rootHeight - (this.model.get('height') || 0)) > 2) {
      if (this.resizeTimer) clearTimeout(this.resizeTimer);
      this.resizeTimer = setTimeout(() => {
        this.model.set('height', rootHeight);
        this.model.save_changes();
      }, 300);
    }
  }

  private applyTheme(): void {
    const style = getComputedStyle(this.root);
    const read = (name: string, fallback: RGBA) => parseCssColor(style.getPropertyValue(name)) ?? fallback;
    const bg = read('--nc-bg', [1, 1, 1, 1]);
    const fg = read('--nc-fg', [0.1, 0.1, 0.1, 1]);
    const accent = read('--nc-select', [0.9, 0.1, 0.4, 1]);
    const dark = isDark(bg);
    const changed = !this.theme || this.theme.dark !== dark || this.theme.bg.join() !== bg.join();
    this.theme = { bg, fg, accent, dark };
    this.root.dataset.theme = dark ? 'dark' : 'light';
    if (changed && this.scatter) {
      this.scatter.set({
        backgroundColor: bg, pointColorHover: fg, pointColorActive: accent, lassoColor: accent,
      } as never);
      this.drawRings();
    }
  }

  // ---- model wiring ----------------------------------------------------------------------

  private wireModel(): void {
    const m = this.model;
    const on = (event: string, handler: () => void) => {
      m.on(event, handler);
      this.cleanups.push(() => m.off(event as never, handler));
    };
    on('change:points', () => this.batcher.mark('points'));
    on('change:labels', () => {
      this.batcher.mark('labels');
      this.tooltipCache.clear();
    });
    on('change:confidence', () => this.batcher.mark('confidence'));
    on('change:color_by', () => {
      this.batcher.mark('color');
      this.updateControls();
      this.updateLegend();
    });
    on('change:color_values', () => {
      this.batcher.mark('color');
      this.updateLegend();
    });
    on('change:color_categories', () => this.updateLegend());
    on('change:color_options', () => this.updateControls());
    on('change:selection', () => this.readSelection());
    on('change:feedback_points', () => this.readFeedbackPoints());
    on('change:feedback_items', () => this.updateFeedbackList());
    on('change:n_clusters', () => {
      this.batcher.mark('color');
      this.updateControls();
      this.updateLegend();
    });
    on('change:cluster_sizes', () => {
      this.updateLegend();
      this.updateControls();
    });
    for (const key of ['active_cluster', 'can_undo', 'can_redo', 'pending_group', 'epochs']) {
      on(`change:${key}`, () => this.updateControls());
    }
    for (const key of ['status', 'phase', 'epoch', 'n_epochs', 'loss', 'delta_label']) {
      on(`change:${key}`, () => {
        this.updateProgress();
        if (key === 'status') this.updateControls();
      });
    }
    on('change:message', () => this.updateMessage());
    on('change:height', () => {
      this.root.style.height = `${m.get('height') || 500}px`;
    });
    on('change:point_size', () => this.batcher.mark('color'));
    const onCustom = (msg: { type?: string }, buffers: DataView[]) => this.onCustomMessage(msg, buffers);
    m.on('msg:custom', onCustom);
    this.cleanups.push(() => m.off('msg:custom', onCustom));
  }

  private readFeedbackPoints(): void {
    const decoded = decodeArray(this.model.get('feedback_points'));
    this.feedbackPoints = decoded ? Uint32Array.from(decoded.data) : new Uint32Array(0);
    this.root.dataset.feedbackPoints = String(this.feedbackPoints.length);
    this.rings = null;
    this.drawRings();
  }

  private updateControls(): void {
    const m = this.model;
    const k = m.get('n_clusters') || 0;
    const sizes = m.get('cluster_sizes') ?? [];
    const palette = categoricalPalette(Math.max(k, 1));
    const active = m.get('active_cluster');
    // Cluster picker
    const wanted = Array.from({ length: k }, (_, j) => `${j}|${sizes[j] ?? ''}`).join(',');
    if (this.clusterPicker.dataset.options !== wanted) {
      this.clusterPicker.replaceChildren(
        ...Array.from({ length: k }, (_, j) => {
          const option = h('option', { value: String(j), text: `● ${j}${sizes[j] !== undefined ? ` (${sizes[j]})` : ''}` });
          option.style.color = palette[j];
          return option;
        }),
      );
      this.clusterPicker.dataset.options = wanted;
    }
    if (k) this.clusterPicker.value = String(Math.min(Math.max(active, 0), k - 1));
    this.clusterPicker.style.setProperty('--nc-swatch', palette[Math.max(0, Math.min(active, palette.length - 1))]);
    // Colour picker
    const options = m.get('color_options') ?? ['cluster', 'confidence'];
    if (this.colorPicker.dataset.options !== options.join('\u0000')) {
      this.colorPicker.replaceChildren(...options.map((o) => h('option', { value: o, text: o })));
      this.colorPicker.dataset.options = options.join('\u0000');
    }
    this.colorPicker.value = m.get('color_by') || 'cluster';
    // Epochs box: do not overwrite what the person is typing.
    if (document.activeElement !== this.epochsInput) this.epochsInput.value = String(m.get('epochs') ?? '');
    // Buttons: enabled when the intent would be sent; the title says why not.
    const state = this.intentState();
    for (const [action, button] of this.buttons) {
      const intent = buildIntent(action, state);
      button.disabled = !intent.ok;
      button.dataset.reason = intent.ok ? '' : intent.reason;
      // A disabled button says why in its tooltip.
      const base = [...BUTTONS, ...CONTROL_BUTTONS].find((b) => b.action === action)?.title ?? '';
      button.title = intent.ok ? base : `${base}. ${intent.reason}`;
    }
    const pending = state.pendingGroup;
    const separate = this.buttons.get('cannot_link');
    if (separate) separate.textContent = pending ? `Separate from ${pending}…` : 'Separate';
    const busy = isBusy(state.status);
    this.root.dataset.status = state.status;
    this.root.classList.toggle('nc-busy', busy);
  }

  private updateLegend(): void {
    const m = this.model;
    const colorBy = m.get('color_by') || 'cluster';
    const entries: HTMLElement[] = [];
    if (colorBy === 'cluster') {
      const k = m.get('n_clusters') || 0;
      const sizes = m.get('cluster_sizes') ?? [];
      const palette = categoricalPalette(k);
      for (let j = 0; j < k; j++) {
        entries.push(this.legendEntry(palette[j], `Cluster ${j}`, sizes[j], j, 'cluster'));
      }
    } else if (colorBy === 'confidence' || this.continuousColor()) {
      const values = colorBy === 'confidence' ? null : decodeArray(m.get('color_values'));
      const [lo, hi] = values ? finiteRange(values.data) : [1 / Math.max(1, m.get('n_clusters')), 1];
      entries.push(h('div', { class: 'nc-ramp' }, [
        h('div', { class: 'nc-ramp-bar' }),
        h('div', { class: 'nc-ramp-labels' }, [h('span', { text: formatNumber(lo) }), h('span', { text: formatNumber(hi) })]),
      ]));
    } else {
      const categories = m.get('color_categories') ?? [];
      const palette = categoricalPalette(categories.length);
      const codes = decodeArray(m.get('color_values'))?.data;
      const counts = new Array<number>(categories.length).fill(0);
      if (codes) for (let i = 0; i < codes.length; i++) if (codes[i] < counts.length) counts[codes[i]]++;
      const shown = Math.min(categories.length, 50);
      for (let j = 0; j < shown; j++) {
        entries.push(this.legendEntry(palette[j], categories[j], counts[j], j, 'category'));
      }
      if (categories.length > shown) entries.push(h('div', { class: 'nc-legend-more', text: `+ ${categories.length - shown} more` }));
    }
    this.legend.replaceChildren(...entries);
  }

  private continuousColor(): boolean {
    const values = decodeArray(this.model.get('color_values'));
    return Boolean(values && values.data instanceof Float32Array);
  }

  private legendEntry(color: string, name: string, size: number | undefined, value: number, kind: 'cluster' | 'category'): HTMLElement {
    const button = h('button', {
      type: 'button', class: 'nc-legend-entry', 'data-testid': `legend-${kind}-${value}`,
      title: `Select ${name}${size !== undefined ? ` (${size} points)` : ''}; Shift adds to the selection`,
    }, [
      h('span', { class: 'nc-swatch', style: `background:${color}` }),
      h('span', { class: 'nc-legend-name', text: name }),
      h('span', { class: 'nc-legend-size', text: size !== undefined ? size.toLocaleString() : '' }),
    ]);
    button.addEventListener('click', (event) => {
      const source = kind === 'cluster' ? this.labels : decodeArray(this.model.get('color_values'))?.data ?? [];
      this.setSelection(indicesOfLabel(source, value), event.shiftKey);
    });
    return button;
  }

  private updateFeedbackList(): void {
    const items = this.model.get('feedback_items') ?? [];
    this.feedbackTitle.textContent = items.length ? `Feedback (${items.length})` : 'Feedback';
    if (!items.length) {
      this.feedbackList.replaceChildren(h('li', { class: 'nc-empty', text: 'None yet: select points and use the toolbar.' }));
      return;
    }
    this.feedbackList.replaceChildren(
      ...items.map((item) => {
        const li = h('li', { class: 'nc-feedback-item', 'data-testid': `feedback-${item.id}`, 'data-kind': item.kind }, [
          h('span', { class: 'nc-feedback-kind', text: item.kind.replace('_', ' ') }),
          h('span', { class: 'nc-feedback-label', text: item.label }),
        ]);
        if (!CLUSTER_KINDS.has(item.kind)) {
          const remove = h('button', {
            type: 'button', class: 'nc-remove', 'aria-label': `Remove feedback ${item.id}: ${item.label}`,
            'data-testid': `feedback-remove-${item.id}`, title: 'Remove this feedback', text: '×',
          });
          remove.addEventListener('click', () => this.act('remove_feedback', { id: item.id }));
          li.append(remove);
        } else {
          li.title = 'Cluster edits are taken back with Undo';
        }
        return li;
      }),
    );
  }

  private updateProgress(): void {
    const m = this.model;
    const state = {
      status: m.get('status'), phase: m.get('phase') ?? '', epoch: m.get('epoch'), nEpochs: m.get('n_epochs'),
      loss: m.get('loss'), deltaLabel: m.get('delta_label'),
    };
    const share = progressShare(state.epoch, state.nEpochs);
    const text = progressText(state);
    this.progressBar.style.width = `${(share * 100).toFixed(1)}%`;
    this.progressLabel.textContent = text;
    this.progress.setAttribute('aria-valuenow', String(Math.round(share * 100)));
    this.progress.setAttribute('aria-valuetext', text);
    this.progress.classList.toggle('nc-active', isBusy(state.status));
    this.progress.hidden = !text;
    if (isBusy(state.status) && state.phase === 'pretrain' && !this.n) {
      this.placeholder.textContent = `Pretraining the autoencoder: epoch ${state.epoch} of ${state.nEpochs}…`;
    }
  }

  private updateMessage(): void {
    const text = this.model.get('message') ?? '';
    this.messageText.textContent = text;
    this.messageBox.hidden = !text;
  }

  // ---- tooltip ---------------------------------------------------------------------------

  private onPointOver(index: number): void {
    this.hovered = index;
    this.renderTooltip();
    if (!this.tooltipCache.has(index)) {
      if (this.tooltipTimer) clearTimeout(this.tooltipTimer);
      this.tooltipTimer = setTimeout(() => {
        if (this.hovered === index) this.model.send({ type: 'tooltip', index });
      }, 60);
    }
  }

  private onPointOut(): void {
    this.hovered = -1;
    this.tooltip.hidden = true;
  }

  private onCustomMessage(msg: { type?: string; [key: string]: unknown }, buffers: DataView[]): void {
    if (msg.type !== 'tooltip') return;
    const index = Number(msg.index);
    const rows = (msg.rows as Array<[string, unknown]> | undefined) ?? [];
    const entry: { rows: Array<[string, string]>; text?: string; image?: ImageData } = {
      rows: rows.map(([name, value]) => [String(name), String(value)]),
    };
    if (typeof msg.text === 'string') entry.text = msg.text;
    const image = msg.image as { width?: number; height?: number } | undefined;
    if (image && buffers?.length) {
      const { width = 0, height = 0 } = image;
      const gray = new Uint8Array(buffers[0].buffer, buffers[0].byteOffset, buffers[0].byteLength);
      if (width * height === gray.length && width > 0) {
        const rgba = new Uint8ClampedArray(width * height * 4);
        for (let i = 0; i < gray.length; i++) {
          rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = gray[i];
          rgba[4 * i + 3] = 255;
        }
        entry.image = new ImageData(rgba, width, height);
      }
    }
    if (this.tooltipCache.size > 256) this.tooltipCache.delete(this.tooltipCache.keys().next().value as number);
    this.tooltipCache.set(index, entry);
    if (this.hovered === index) this.renderTooltip();
  }

  private renderTooltip(): void {
    const i = this.hovered;
    if (i < 0 || i >= this.n) {
      this.tooltip.hidden = true;
      return;
    }
    const label = this.labels[i];
    const confidence = this.confidence[i];
    const palette = categoricalPalette(Math.max(this.model.get('n_clusters'), 1));
    const head = h('div', { class: 'nc-tooltip-head' }, [
      h('span', { class: 'nc-swatch', style: `background:${palette[label] ?? '#888'}` }),
      h('strong', { text: `Point ${i}` }),
      h('span', { text: ` · cluster ${label ?? '–'} · ${confidence !== undefined ? formatPercent(confidence) : '–'} sure` }),
    ]);
    const children: Node[] = [head];
    const cached = this.tooltipCache.get(i);
    if (cached?.image) {
      const canvas = h('canvas', { class: 'nc-thumb' });
      canvas.width = cached.image.width;
      canvas.height = cached.image.height;
      canvas.getContext('2d')?.putImageData(cached.image, 0, 0);
      const scale = Math.max(1, Math.floor(96 / Math.max(cached.image.width, cached.image.height)));
      canvas.style.width = `${cached.image.width * scale}px`;
      canvas.style.height = `${cached.image.height * scale}px`;
      children.push(canvas);
    }
    if (cached?.text) children.push(h('div', { class: 'nc-tooltip-text', text: cached.text }));
    if (cached?.rows.length) {
      const table = h('table', { class: 'nc-tooltip-rows' });
      for (const [name, value] of cached.rows.slice(0, 12)) {
        table.append(h('tr', {}, [h('th', { text: name }), h('td', { text: value })]));
      }
      children.push(table);
    }
    this.tooltip.replaceChildren(...children);
    this.tooltip.hidden = false;
    this.placeTooltip();
  }

  private placeTooltip(): void {
    const [mx, my] = this.mouse;
    const { width, height } = this.viewState;
    const rect = this.tooltip.getBoundingClientRect();
    const left = mx + 14 + rect.width > width ? Math.max(0, mx - 14 - rect.width) : mx + 14;
    const top = my + 14 + rect.height > height ? Math.max(0, my - 14 - rect.height) : my + 14;
    this.tooltip.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
  }

  // ---- view transform, feedback outlines -------------------------------------------------

  private onView(view: ArrayLike<number>): void {
    const { width, height } = this.plotSize();
    this.viewState = { view: Array.from(view), width, height };
    this.root.dataset.view = JSON.stringify(this.viewState);
    if (!this.rings) this.drawRings();
  }

  private ringTargets(): Float32Array {
    const count = Math.min(this.feedbackPoints.length, MAX_RINGS);
    const out = new Float32Array(count * 2);
    for (let r = 0; r < count; r++) {
      const i = this.feedbackPoints[r];
      out[2 * r] = this.x[i] ?? NaN;
      out[2 * r + 1] = this.y[i] ?? NaN;
    }
    return out;
  }

  private startRingTransition(duration: number): void {
    if (!this.feedbackPoints.length) return;
    const from = this.currentRingPositions() ?? this.ringTargets();
    this.rings = { from, to: this.ringTargets(), start: performance.now(), duration };
    cancelAnimationFrame(this.ringFrame);
    const step = () => {
      this.drawRings();
      if (this.rings) this.ringFrame = requestAnimationFrame(step);
    };
    this.ringFrame = requestAnimationFrame(step);
  }

  private currentRingPositions(): Float32Array | null {
    const rings = this.rings;
    if (!rings) return this.lastRingPositions;
    const t = cubicInOut(Math.min(1, (performance.now() - rings.start) / rings.duration));
    const out = new Float32Array(rings.to.length);
    for (let i = 0; i < out.length; i++) out[i] = rings.from[i] + (rings.to[i] - rings.from[i]) * t;
    return out;
  }

  private lastRingPositions: Float32Array | null = null;

  private drawRings(): void {
    const ctx = this.overlay.getContext('2d');
    if (!ctx) return;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    if (!this.feedbackPoints.length || !this.n) {
      this.lastRingPositions = null;
      return;
    }
    let positions: Float32Array;
    if (this.rings) {
      positions = this.currentRingPositions()!;
      if (performance.now() - this.rings.start >= this.rings.duration) this.rings = null;
    } else {
      positions = this.ringTargets();
    }
    this.lastRingPositions = positions;
    const camera = this.scatter?.get('camera' as never) as { scaling?: number[] } | undefined;
    const zoom = camera?.scaling?.[0] ?? 1;
    const scale = zoom > 1 ? Math.asinh(zoom) / Math.asinh(1) : zoom;
    const radius = (this.pointSize() * scale) / 2 + 3;
    const fg = this.theme?.fg ?? [0, 0, 0, 1];
    // Many outlines would hide the points they mark: fade them as they multiply.
    const count = positions.length / 2;
    const alpha = count <= 40 ? 0.9 : Math.max(0.3, 0.9 * Math.sqrt(40 / count));
    ctx.lineWidth = count <= 40 ? 1.5 : 1;
    ctx.strokeStyle = `rgba(${fg.slice(0, 3).map((c) => Math.round(c * 255)).join(',')},${alpha.toFixed(2)})`;
    ctx.beginPath();
    for (let r = 0; r < positions.length; r += 2) {
      const [sx, sy] = ndcToScreen(this.viewState, positions[r], positions[r + 1]);
      if (!Number.isFinite(sx) || sx < -radius || sy < -radius || sx > this.viewState.width + radius || sy > this.viewState.height + radius) continue;
      ctx.moveTo(sx + radius, sy);
      ctx.arc(sx, sy, radius, 0, 2 * Math.PI);
    }
    ctx.stroke();
  }

  /** A small hook for browser tests: where a point is on screen, what is selected. */
  private exposeDebugHook(): void {
    const self = this;
    (this.root as unknown as { __nc: unknown }).__nc = {
      get n() { return self.n; },
      get selection() { return Array.from(self.selection); },
      get framesDrawn() { return self.framesDrawn; },
      get droppedFrames() { return self.draws.dropped; },
      get view() { return self.viewState; },
      /** Pixel position of point i relative to the page (clientX/clientY). */
      clientPosition(i: number): [number, number] | null {
        if (i < 0 || i >= self.n) return null;
        const [sx, sy] = ndcToScreen(self.viewState, self.x[i], self.y[i]);
        const rect = self.plot.getBoundingClientRect();
        return [rect.left + sx, rect.top + sy];
      },
      dataToClient(x: number, y: number): [number, number] {
        const [sx, sy] = ndcToScreen(self.viewState, x, y);
        const rect = self.plot.getBoundingClientRect();
        return [rect.left + sx, rect.top + sy];
      },
      whenDrawn: () => self.draws.whenIdle(),
    };
  }

  destroy(): void {
    cancelAnimationFrame(this.ringFrame);
    if (this.tooltipTimer) clearTimeout(this.tooltipTimer);
    if (this.hintTimer) clearTimeout(this.hintTimer);
    if (this.resizeTimer) clearTimeout(this.resizeTimer);
    this.cleanups.forEach((f) => f());
    this.scatter?.destroy();
    this.scatter = null;
  }
}

function maxOf(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}

function render({ model, el }: RenderProps<WidgetModel>) {
  const view = new ClusterView(model, el);
  return () => view.destroy();
}

export default { render };
