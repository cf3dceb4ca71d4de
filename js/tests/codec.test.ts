import { describe, expect, it } from 'vitest';
import { decodeArray, encodeArray, splitXY } from '../src/codec';

describe('decodeArray', () => {
  it('reads float32 points as one typed array over the same bytes (no copy, no rows)', () => {
    const source = new Float32Array([0.5, -0.5, 1, 0, -1, 0.25]);
    // ipywidgets hands buffers over as DataViews, possibly into a larger message buffer.
    const backing = new ArrayBuffer(8 + source.byteLength);
    new Float32Array(backing, 8).set(source);
    const decoded = decodeArray({ dtype: 'float32', shape: [3, 2], buffer: new DataView(backing, 8, source.byteLength) });
    expect(decoded).not.toBeNull();
    expect(decoded!.data).toBeInstanceOf(Float32Array);
    expect(Array.from(decoded!.data)).toEqual(Array.from(source));
    expect(decoded!.shape).toEqual([3, 2]);
    expect(decoded!.data.buffer).toBe(backing); // a view, not a copy
  });

  it('copies once when the offset is not aligned to the item size', () => {
    const backing = new ArrayBuffer(1 + 8);
    const bytes = new Uint8Array(backing, 1, 8);
    bytes.set(new Uint8Array(new Uint32Array([7, 4000000000]).buffer));
    const decoded = decodeArray({ dtype: 'uint32', shape: [2], buffer: new DataView(backing, 1, 8) });
    expect(Array.from(decoded!.data)).toEqual([7, 4000000000]);
    expect(decoded!.data.buffer).not.toBe(backing);
  });

  it('decodes each wire dtype to its typed array', () => {
    const cases: Array<[string, unknown]> = [
      ['uint8', Uint8Array], ['uint16', Uint16Array], ['uint32', Uint32Array], ['int32', Int32Array],
      ['float32', Float32Array], ['float64', Float64Array],
    ];
    for (const [dtype, Ctor] of cases) {
      const buffer = new ArrayBuffer(16);
      const decoded = decodeArray({ dtype, shape: [16 / (Ctor as typeof Uint8Array).BYTES_PER_ELEMENT], buffer });
      expect(decoded!.data).toBeInstanceOf(Ctor);
    }
  });

  it('accepts an empty array and null', () => {
    expect(decodeArray(null)).toBeNull();
    const empty = decodeArray({ dtype: 'float32', shape: [0, 2], buffer: new DataView(new ArrayBuffer(0)) });
    expect(empty!.data.length).toBe(0);
  });

  it('refuses unknown dtypes and buffers that do not fit the shape', () => {
    expect(() => decodeArray({ dtype: 'object', shape: [1], buffer: new ArrayBuffer(8) })).toThrow(/dtype/);
    expect(() => decodeArray({ dtype: 'float32', shape: [3, 2], buffer: new ArrayBuffer(8) })).toThrow(/shape/);
    expect(() => decodeArray({ dtype: 'float32', shape: [1], buffer: new ArrayBuffer(6) })).toThrow(/whole number/);
  });
});

describe('encodeArray', () => {
  it('wraps a selection as uint32 bytes that decode to the same indices', () => {
    const selection = new Uint32Array([3, 9, 12]);
    const wire = encodeArray(selection);
    expect(wire.dtype).toBe('uint32');
    expect(wire.shape).toEqual([3]);
    expect(wire.buffer).toBeInstanceOf(DataView);
    expect((wire.buffer as DataView).byteLength).toBe(12);
    expect(Array.from(decodeArray(wire)!.data)).toEqual([3, 9, 12]);
  });

  it('keeps the view of a subarray', () => {
    const all = new Uint32Array([1, 2, 3, 4]);
    const wire = encodeArray(all.subarray(1, 3));
    expect(Array.from(decodeArray(wire)!.data)).toEqual([2, 3]);
  });
});

describe('splitXY', () => {
  it('splits interleaved (N, 2) coordinates into columns', () => {
    const { x, y } = splitXY(new Float32Array([1, 2, 3, 4, 5, 6]));
    expect(Array.from(x)).toEqual([1, 3, 5]);
    expect(Array.from(y)).toEqual([2, 4, 6]);
  });
});
