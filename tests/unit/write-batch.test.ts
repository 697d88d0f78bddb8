import { describe, expect, it } from 'vitest';
import { WriteBatch } from '../../src/http/write-batch.ts';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WriteBatch', () => {
  it('writes nothing while the current I/O is handled, then everything added, in order', async () => {
    const written: string[] = [];
    const batch = new WriteBatch<string, number>((target, value) => written.push(`${target}=${value}`), () => {});
    batch.add('a', 1);
    batch.add('b', 2);
    await Promise.resolve();
    // A microtask is not late enough: the responses of requests still to be read this turn must join.
    expect(written).toEqual([]);
    batch.add('c', 3);
    await nextTurn();
    expect(written).toEqual(['a=1', 'b=2', 'c=3']);
  });

  it('writes each value once, and starts a new batch after a flush', async () => {
    const written: number[] = [];
    const batch = new WriteBatch<string, number>((_target, value) => written.push(value), () => {});
    batch.add('a', 1);
    await nextTurn();
    batch.add('b', 2);
    await nextTurn();
    await nextTurn();
    expect(written).toEqual([1, 2]);
  });

  it('hands a write that throws to `failed` and still writes the rest', async () => {
    const written: string[] = [];
    const failures: [string, unknown][] = [];
    const batch = new WriteBatch<string, number>(
      (target, value) => {
        if (value < 0) throw new RangeError(`bad ${value}`);
        written.push(target);
      },
      (target, error) => failures.push([target, error]),
    );
    batch.add('a', 1);
    batch.add('b', -1);
    batch.add('c', 3);
    await nextTurn();
    expect(written).toEqual(['a', 'c']);
    expect(failures).toHaveLength(1);
    expect(failures[0]![0]).toBe('b');
    expect(failures[0]![1]).toBeInstanceOf(RangeError);
  });

  it('writes a value added while a batch is written in the next batch', async () => {
    const written: string[] = [];
    const batch: WriteBatch<string, number> = new WriteBatch<string, number>(
      (target) => {
        written.push(target);
        if (target === 'a') batch.add('late', 0);
      },
      () => {},
    );
    batch.add('a', 1);
    batch.add('b', 2);
    await nextTurn();
    expect(written).toEqual(['a', 'b']);
    await nextTurn();
    expect(written).toEqual(['a', 'b', 'late']);
  });
});
