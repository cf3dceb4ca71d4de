/**
 * Toolbar buttons -> messages for the kernel. The kernel is the source of truth (it validates
 * again and answers with a readable message); this only refuses what is obviously incomplete,
 * so the button can say why it is disabled before anything is sent.
 */

export type ActionName =
  | 'include'
  | 'exclude'
  | 'must_link'
  | 'cannot_link'
  | 'new_cluster'
  | 'merge'
  | 'split'
  | 'undo'
  | 'redo'
  | 'refine'
  | 'stop'
  | 'remove_feedback';

export interface ActionMessage {
  type: 'action';
  action: ActionName;
  cluster?: number;
  other?: number;
  epochs?: number;
  id?: number;
}

export interface IntentState {
  selectionSize: number;
  activeCluster: number;
  nClusters: number;
  epochs: number;
  status: string;
  canUndo: boolean;
  canRedo: boolean;
  /** Size of the group kept aside by a first "Separate" press (0: none). */
  pendingGroup: number;
  /** For merge: the cluster most of the selection is in, other than the active one. */
  mergePartner: number | null;
}

export type Intent =
  | { ok: true; message: ActionMessage; usesSelection: boolean }
  | { ok: false; reason: string };

const BUSY = new Set(['fitting', 'training', 'stopping']);
const SELECTION_ACTIONS = new Set<ActionName>([
  'include',
  'exclude',
  'must_link',
  'cannot_link',
  'new_cluster',
  'split',
]);

export function isBusy(status: string): boolean {
  return BUSY.has(status);
}

export function buildIntent(
  action: ActionName,
  s: IntentState,
  extra: { id?: number } = {},
): Intent {
  const fail = (reason: string): Intent => ({ ok: false, reason });
  const ok = (fields: Partial<ActionMessage> = {}): Intent => ({
    ok: true,
    message: { type: 'action', action, ...fields },
    usesSelection: SELECTION_ACTIONS.has(action),
  });
  const validCluster = Number.isInteger(s.activeCluster) && s.activeCluster >= 0 && s.activeCluster < s.nClusters;

  if (s.status === 'fitting' && action !== 'stop') {
    return fail('Wait until the first fit has finished.');
  }
  switch (action) {
    case 'include':
      if (!s.selectionSize) return fail('Select the points to move first.');
      if (!validCluster) return fail('Pick the cluster to move them to.');
      return ok({ cluster: s.activeCluster });
    case 'exclude':
      if (!s.selectionSize) return fail('Select the points that are in the wrong cluster first.');
      return ok();
    case 'must_link':
      if (s.selectionSize < 2) return fail('Select two or more points that belong together.');
      return ok();
    case 'cannot_link':
      if (s.pendingGroup > 0) {
        if (!s.selectionSize) return fail('Select the points to keep apart from the first group.');
        return ok();
      }
      if (!s.selectionSize) return fail('Select the points to keep apart.');
      return ok();
    case 'new_cluster':
      if (!s.selectionSize) return fail('Select the points that start the new cluster.');
      return ok();
    case 'split':
      if (!validCluster) return fail('Pick the cluster to split.');
      return ok({ cluster: s.activeCluster });
    case 'merge':
      if (!validCluster) return fail('Pick the cluster to merge into.');
      if (s.nClusters < 2) return fail('There is only one cluster.');
      if (s.mergePartner === null || s.mergePartner === s.activeCluster) {
        return fail(`Select points of the cluster to merge into cluster ${s.activeCluster}.`);
      }
      return ok({ cluster: s.activeCluster, other: s.mergePartner });
    case 'undo':
      return s.canUndo ? ok() : fail('Nothing to undo.');
    case 'redo':
      return s.canRedo ? ok() : fail('Nothing to redo.');
    case 'refine':
      if (isBusy(s.status)) return fail('Training is running.');
      if (!Number.isInteger(s.epochs) || s.epochs < 1) return fail('Epochs must be a whole number of 1 or more.');
      return ok({ epochs: s.epochs });
    case 'stop':
      return isBusy(s.status) ? ok() : fail('Nothing is running.');
    case 'remove_feedback':
      if (extra.id === undefined || !Number.isInteger(extra.id)) return fail('No feedback entry given.');
      return ok({ id: extra.id });
    default:
      return fail(`unknown action ${String(action)}`);
  }
}

/** Parse the epochs box: a positive whole number, or NaN. */
export function parseEpochs(text: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return NaN;
  const n = Number(trimmed);
  return n >= 1 ? n : NaN;
}
