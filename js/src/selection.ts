/** Selections as sorted, unique Uint32Arrays, and the set operations the legend and toolbar need. */

/** Sorted unique indices within [0, n) (n omitted: no upper bound). */
export function normalizeSelection(indices: ArrayLike<number>, n?: number): Uint32Array {
  const out = new Uint32Array(indices.length);
  let m = 0;
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i];
    if (Number.isInteger(v) && v >= 0 && (n === undefined || v < n)) out[m++] = v;
  }
  const sorted = out.subarray(0, m).sort();
  let k = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[k++] = sorted[i];
  }
  return sorted.slice(0, k);
}

/** Whether two index lists hold the same set of points (order and duplicates ignored). */
export function sameSelection(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const x = normalizeSelection(a);
  const y = normalizeSelection(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Union of two selections. */
export function mergeSelection(a: ArrayLike<number>, b: ArrayLike<number>): Uint32Array {
  const both = new Uint32Array(a.length + b.length);
  both.set(Array.from(a));
  both.set(Array.from(b), a.length);
  return normalizeSelection(both);
}

/** Indices of the points whose label is `label`. */
export function indicesOfLabel(labels: ArrayLike<number>, label: number): Uint32Array {
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === label) count++;
  const out = new Uint32Array(count);
  for (let i = 0, m = 0; i < labels.length; i++) if (labels[i] === label) out[m++] = i;
  return out;
}

/** Size of each of k labels. */
export function labelCounts(labels: ArrayLike<number>, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l < k) counts[l]++;
  }
  return counts;
}

/**
 * The label most common among the selected points other than `exclude` (the merge partner of
 * the active cluster), or null when the selection holds no other label.
 */
export function dominantOtherLabel(
  selection: ArrayLike<number>,
  labels: ArrayLike<number>,
  exclude: number,
): number | null {
  const counts = new Map<number, number>();
  for (let i = 0; i < selection.length; i++) {
    const l = labels[selection[i]];
    if (l === undefined || l === exclude) continue;
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  let best: number | null = null;
  let bestCount = 0;
  for (const [label, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== null && label < best)) {
      best = label;
      bestCount = count;
    }
  }
  return best;
}
