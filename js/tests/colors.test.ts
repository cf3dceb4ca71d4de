import { describe, expect, it } from 'vitest';
import { categoricalPalette, continuousRamp, finiteRange, isDark, normalise, parseCssColor } from '../src/colors';
import { formatPercent, progressShare, progressText } from '../src/format';

describe('colours', () => {
  it('gives k distinct cluster colours, also beyond the base palette', () => {
    const palette = categoricalPalette(40);
    expect(palette).toHaveLength(40);
    expect(new Set(palette).size).toBe(40);
    palette.forEach((c) => expect(c).toMatch(/^#[0-9a-f]{6}$/));
  });

  it('ramps from dark purple to yellow', () => {
    const ramp = continuousRamp(256);
    expect(ramp[0]).toBe('#440154');
    expect(ramp[255]).toBe('#fde725');
  });

  it('reads host theme colours and tells dark from light', () => {
    expect(parseCssColor(' #111111 ')).toEqual([17 / 255, 17 / 255, 17 / 255, 1]);
    expect(parseCssColor('rgb(255, 255, 255)')).toEqual([1, 1, 1, 1]);
    expect(parseCssColor('rgba(0, 0, 0, 0.5)')).toEqual([0, 0, 0, 0.5]);
    expect(parseCssColor('var(--x)')).toBeNull();
    expect(isDark(parseCssColor('#1e1e1e')!)).toBe(true);
    expect(isDark(parseCssColor('#ffffff')!)).toBe(false);
  });

  it('normalises continuous values into [0, 1], NaN to the low end', () => {
    const v = new Float32Array([2, 4, NaN, 6]);
    expect(finiteRange(v)).toEqual([2, 6]);
    expect(Array.from(normalise(v, [2, 6]))).toEqual([0, 0.5, 0, 1]);
    expect(Array.from(normalise(new Float32Array([3, 3]), [3, 3]))).toEqual([0, 0]);
  });
});

describe('progress text', () => {
  it('says epoch i of N, the loss and the share of labels changed', () => {
    const text = progressText({ status: 'training', phase: 'refine', epoch: 3, nEpochs: 20, loss: 0.01234, deltaLabel: 0.025 });
    expect(text).toBe('Refining: epoch 3 of 20 · loss 0.0123 · 2.5% labels changed');
    expect(progressShare(3, 20)).toBeCloseTo(0.15);
    expect(formatPercent(0.5)).toBe('50%');
  });

  it('leaves out the label share while pretraining and shows stopping', () => {
    const text = progressText({ status: 'stopping', phase: 'pretrain', epoch: 2, nEpochs: 50, loss: 1.5, deltaLabel: NaN });
    expect(text).toBe('Stopping… Pretraining: epoch 2 of 50 · loss 1.5');
  });
});
