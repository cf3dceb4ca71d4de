import { describe, expect, it } from 'vitest';
import {
  dominantOtherLabel,
  indicesOfLabel,
  labelCounts,
  mergeSelection,
  normalizeSelection,
  sameSelection,
} from '../src/selection';

describe('selections', () => {
  it('normalises to sorted unique in-range indices', () => {
    expect(Array.from(normalizeSelection([5, 1, 5, 3, -1, 2.5, 10], 10))).toEqual([1, 3, 5]);
    expect(normalizeSelection([4, 2])).toBeInstanceOf(Uint32Array);
  });

  it('compares as sets, so the echo of our own selection is recognised', () => {
    expect(sameSelection([3, 1, 2], new Uint32Array([1, 2, 3]))).toBe(true);
    expect(sameSelection([1, 2], [1, 2, 3])).toBe(false);
    expect(sameSelection([], new Uint32Array(0))).toBe(true);
  });

  it('adds with shift: union of old and new', () => {
    expect(Array.from(mergeSelection(new Uint32Array([1, 5]), [5, 2]))).toEqual([1, 2, 5]);
  });

  it('selects a legend entry: every point with that label', () => {
    const labels = new Uint8Array([0, 2, 1, 2, 2, 0]);
    expect(Array.from(indicesOfLabel(labels, 2))).toEqual([1, 3, 4]);
    expect(Array.from(indicesOfLabel(labels, 7))).toEqual([]);
    expect(labelCounts(labels, 3)).toEqual([2, 1, 3]);
  });

  it('finds the merge partner: the most selected cluster other than the active one', () => {
    const labels = new Uint8Array([0, 1, 1, 2, 2, 2]);
    expect(dominantOtherLabel([1, 2, 3], labels, 0)).toBe(1); // tie 1 vs 2 -> 2 has 1, 1 has 2
    expect(dominantOtherLabel([3, 4, 1], labels, 0)).toBe(2);
    expect(dominantOtherLabel([0], labels, 0)).toBeNull();
    expect(dominantOtherLabel([1, 3], labels, 0)).toBe(1); // tie broken by the lower label
  });
});
