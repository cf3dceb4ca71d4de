/**
 * Data (normalised device) coordinates <-> pixels of the plot, from the scatter plot's camera.
 * The same transform the plot uses for drawing (projection(aspect) * view * model(dataAspect)),
 * so overlays (feedback outlines) and browser tests land exactly on the points.
 */

export interface ViewState {
  /** Column-major 4x4 camera view matrix. */
  view: ArrayLike<number>;
  width: number;
  height: number;
  dataAspectRatio?: number;
}

export function ndcToScreen(s: ViewState, x: number, y: number): [number, number] {
  const v = s.view;
  const mx = x * (s.dataAspectRatio ?? 1);
  const vx = v[0] * mx + v[4] * y + v[12];
  const vy = v[1] * mx + v[5] * y + v[13];
  const cx = vx / (s.width / s.height);
  const cy = vy;
  return [(s.width * (cx + 1)) / 2, s.height * (0.5 - cy / 2)];
}

export function screenToNdc(s: ViewState, px: number, py: number): [number, number] {
  const v = s.view;
  const cx = (2 * px) / s.width - 1;
  const cy = 1 - (2 * py) / s.height;
  const vx = cx * (s.width / s.height) - v[12];
  const vy = cy - v[13];
  // Invert the 2x2 linear part (scale and rotation of the camera).
  const det = v[0] * v[5] - v[4] * v[1];
  const mx = (v[5] * vx - v[4] * vy) / det;
  const y = (-v[1] * vx + v[0] * vy) / det;
  return [mx / (s.dataAspectRatio ?? 1), y];
}

/** The easing regl-scatterplot uses for transitions, so overlays glide with the points. */
export function cubicInOut(t: number): number {
  return t < 0.5 ? 4 * t * t * t : (t - 1) * (2 * t - 2) * (2 * t - 2) + 1;
}
