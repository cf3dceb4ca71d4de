import { describe, expect, it } from 'vitest';
import { buildIntent, parseEpochs, type IntentState } from '../src/intents';

const base: IntentState = {
  selectionSize: 3,
  activeCluster: 1,
  nClusters: 3,
  epochs: 20,
  status: 'idle',
  canUndo: true,
  canRedo: false,
  pendingGroup: 0,
  mergePartner: 2,
};

describe('buildIntent', () => {
  it('"Move to cluster" sends include with the picked cluster and uses the selection', () => {
    const intent = buildIntent('include', base);
    expect(intent).toEqual({ ok: true, message: { type: 'action', action: 'include', cluster: 1 }, usesSelection: true });
  });

  it('refuses selection actions without a selection and says what to do', () => {
    for (const action of ['include', 'exclude', 'new_cluster', 'cannot_link'] as const) {
      const intent = buildIntent(action, { ...base, selectionSize: 0 });
      expect(intent.ok).toBe(false);
      if (!intent.ok) expect(intent.reason).toMatch(/Select/);
    }
    expect(buildIntent('must_link', { ...base, selectionSize: 1 }).ok).toBe(false);
  });

  it('merges the selected cluster into the picked one', () => {
    expect(buildIntent('merge', base)).toMatchObject({ ok: true, message: { action: 'merge', cluster: 1, other: 2 } });
    const none = buildIntent('merge', { ...base, mergePartner: null });
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.reason).toContain('cluster 1');
  });

  it('split sends the picked cluster, with the selection as seed or none for 2-means', () => {
    expect(buildIntent('split', base)).toEqual({
      ok: true, message: { type: 'action', action: 'split', cluster: 1 }, usesSelection: true,
    });
    expect(buildIntent('split', { ...base, selectionSize: 0 }).ok).toBe(true);
    expect(buildIntent('split', { ...base, activeCluster: 5 }).ok).toBe(false);
  });

  it('refine carries the epochs box and is refused while training', () => {
    expect(buildIntent('refine', base)).toMatchObject({ ok: true, message: { action: 'refine', epochs: 20 } });
    expect(buildIntent('refine', { ...base, status: 'training' }).ok).toBe(false);
    expect(buildIntent('refine', { ...base, epochs: NaN }).ok).toBe(false);
  });

  it('feedback may be given during training, but not before the first fit', () => {
    expect(buildIntent('include', { ...base, status: 'training' }).ok).toBe(true);
    expect(buildIntent('include', { ...base, status: 'fitting' }).ok).toBe(false);
    expect(buildIntent('stop', { ...base, status: 'fitting' }).ok).toBe(true);
  });

  it('stop only while something runs; undo/redo follow the kernel flags', () => {
    expect(buildIntent('stop', base).ok).toBe(false);
    expect(buildIntent('stop', { ...base, status: 'training' }).ok).toBe(true);
    expect(buildIntent('undo', base).ok).toBe(true);
    expect(buildIntent('redo', base).ok).toBe(false);
  });

  it('removing a feedback entry sends its id and no selection', () => {
    expect(buildIntent('remove_feedback', base, { id: 7 })).toEqual({
      ok: true, message: { type: 'action', action: 'remove_feedback', id: 7 }, usesSelection: false,
    });
    expect(buildIntent('remove_feedback', base).ok).toBe(false);
  });

  it('a cluster outside 0..k-1 is not sent', () => {
    expect(buildIntent('include', { ...base, activeCluster: 3 }).ok).toBe(false);
  });
});

describe('parseEpochs', () => {
  it('accepts positive whole numbers only', () => {
    expect(parseEpochs(' 25 ')).toBe(25);
    expect(parseEpochs('0')).toBeNaN();
    expect(parseEpochs('2.5')).toBeNaN();
    expect(parseEpochs('-3')).toBeNaN();
    expect(parseEpochs('')).toBeNaN();
  });
});
