import { describe, expect, it } from 'vitest';
import { cubicInOut, ndcToScreen, screenToNdc, type ViewState } from '../src/view';

const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

describe('ndcToScreen', () => {
  it('maps the unit box to a square canvas', () => {
    const s: ViewState = { view: identity, width: 200, height: 200 };
    expect(ndcToScreen(s, 0, 0)).toEqual([100, 100]);
    expect(ndcToScreen(s, 1, 1)).toEqual([200, 0]);
    expect(ndcToScreen(s, -1, -1)).toEqual([0, 200]);
  });

  it('keeps one scale for both axes on a wide canvas', () => {
    const s: ViewState = { view: identity, width: 400, height: 200 };
    // y spans the height; x is scaled by the aspect ratio so circles stay round
    expect(ndcToScreen(s, 1, 0)).toEqual([300, 100]);
    expect(ndcToScreen(s, 0, 1)).toEqual([200, 0]);
  });

  it('follows zoom and pan of the camera and inverts exactly', () => {
    const zoomed = [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0.5, -0.25, 0, 1];
    const s: ViewState = { view: zoomed, width: 300, height: 200 };
    const [px, py] = ndcToScreen(s, 0.1, -0.3);
    const [x, y] = screenToNdc(s, px, py);
    expect(x).toBeCloseTo(0.1, 10);
    expect(y).toBeCloseTo(-0.3, 10);
    expect(ndcToScreen(s, 0, 0)[0]).toBeCloseTo(150 + (0.5 / 1.5) * 150, 10);
  });
});

describe('cubicInOut', () => {
  it('starts at 0, ends at 1, is symmetric', () => {
    expect(cubicInOut(0)).toBe(0);
    expect(cubicInOut(1)).toBe(1);
    expect(cubicInOut(0.5)).toBeCloseTo(0.5);
    expect(cubicInOut(0.25) + cubicInOut(0.75)).toBeCloseTo(1);
  });
});
