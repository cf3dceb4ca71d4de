/**
 * Binary trait codec: the kernel sends arrays as {dtype, shape, buffer}; we read the buffer as one
 * typed array (no per-row arrays, no copy unless the bytes are misaligned) and send selections back
 * the same way.
 */

export type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

export interface WireArray {
  dtype: string;
  shape: number[];
  buffer: DataView | ArrayBuffer | ArrayBufferView;
}

export interface Decoded<T extends TypedArray = TypedArray> {
  data: T;
  shape: number[];
}

const CONSTRUCTORS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export type WireDtype = keyof typeof CONSTRUCTORS;

export function isWireArray(value: unknown): value is WireArray {
  return (
    typeof value === 'object' &&
    value !== null &&
    'dtype' in value &&
    'buffer' in value &&
    typeof (value as WireArray).dtype === 'string'
  );
}

/** Decode one wire array. Returns null for null/undefined (a trait that holds no array). */
export function decodeArray(value: WireArray | null | undefined): Decoded | null {
  if (value == null) return null;
  const Ctor = CONSTRUCTORS[value.dtype as WireDtype];
  if (!Ctor) throw new Error(`unsupported dtype ${value.dtype}`);
  const { buffer } = value;
  let bytes: ArrayBuffer;
  let offset = 0;
  let length: number;
  if (buffer instanceof ArrayBuffer) {
    bytes = buffer;
    length = buffer.byteLength;
  } else if (ArrayBuffer.isView(buffer)) {
    bytes = buffer.buffer as ArrayBuffer;
    offset = buffer.byteOffset;
    length = buffer.byteLength;
  } else {
    throw new Error('array without a binary buffer');
  }
  const size = Ctor.BYTES_PER_ELEMENT;
  if (length % size !== 0) throw new Error(`${length} bytes is not a whole number of ${value.dtype}`);
  let data: TypedArray;
  if (offset % size === 0) {
    data = new Ctor(bytes, offset, length / size);
  } else {
    // Typed arrays need aligned offsets; copy the bytes once in that rare case.
    data = new Ctor(bytes.slice(offset, offset + length));
  }
  const shape = Array.isArray(value.shape) ? value.shape.map(Number) : [data.length];
  const expected = shape.reduce((a, b) => a * b, 1);
  if (expected !== data.length) {
    throw new Error(`buffer of ${data.length} items does not fit shape [${shape.join(', ')}]`);
  }
  return { data, shape };
}

/** Encode a typed array for the kernel (1-D unless a shape is given). */
export function encodeArray(data: TypedArray, shape?: number[]): WireArray {
  const dtype = (Object.keys(CONSTRUCTORS) as WireDtype[]).find(
    (k) => data instanceof CONSTRUCTORS[k],
  );
  if (!dtype) throw new Error('not a supported typed array');
  return {
    dtype,
    shape: shape ?? [data.length],
    buffer: new DataView(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** Split interleaved (N, 2) coordinates into the x and y columns the scatter plot takes. */
export function splitXY(points: Float32Array | Float64Array): { x: Float32Array; y: Float32Array } {
  const n = points.length >> 1;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 2) {
    x[i] = points[j];
    y[i] = points[j + 1];
  }
  return { x, y };
}
