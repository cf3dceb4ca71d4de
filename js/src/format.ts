/** Short texts the widget shows: progress line, numbers, feedback counts. */

export interface ProgressState {
  status: string;
  phase: string;
  epoch: number;
  nEpochs: number;
  loss: number;
  deltaLabel: number;
}

const PHASE_NAMES: Record<string, string> = {
  pretrain: 'Pretraining',
  cluster: 'Clustering',
  refine: 'Refining',
};

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e5)) return value.toExponential(2);
  return value.toPrecision(3).replace(/\.?0+$/, '');
}

export function formatPercent(share: number): string {
  if (!Number.isFinite(share)) return '–';
  const p = share * 100;
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)}%`;
}

/** "Refining: epoch 3 of 20 · loss 0.0123 · 2.5% labels changed" (or the idle summary). */
export function progressText(s: ProgressState): string {
  if (s.status === 'idle' || s.status === 'error') {
    if (!s.nEpochs) return '';
    return `Done: ${s.epoch} of ${s.nEpochs} epochs · loss ${formatNumber(s.loss)}`;
  }
  const phase = PHASE_NAMES[s.phase] ?? (s.status === 'fitting' ? 'Fitting' : 'Training');
  const prefix = s.status === 'stopping' ? 'Stopping… ' : '';
  const parts = [`${prefix}${phase}: epoch ${s.epoch} of ${s.nEpochs}`];
  if (s.epoch > 0) parts.push(`loss ${formatNumber(s.loss)}`);
  if (s.epoch > 0 && s.phase !== 'pretrain' && Number.isFinite(s.deltaLabel)) {
    parts.push(`${formatPercent(s.deltaLabel)} labels changed`);
  }
  return parts.join(' · ');
}

/** Share of the epoch budget done, in [0, 1]. */
export function progressShare(epoch: number, nEpochs: number): number {
  if (!nEpochs) return 0;
  return Math.min(1, Math.max(0, epoch / nEpochs));
}
