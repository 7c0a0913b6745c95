import { Batcher } from "./batcher";

/** A run function that records each batch and answers when the test says so. */
function recorder() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const run = (items: number[]) => {
    batches.push(items);
    return new Promise<number[]>((resolve) => gates.push(() => resolve(items.map((i) => i * 10))));
  };
  const release = async () => {
    while (gates.length) gates.shift()!();
    // The results settle in microtasks, then the next batch leaves on the following macrotask.
    for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
  };
  return { batches, run, release };
}

describe("Batcher", () => {
  it("sends a lone item at once and gives each caller its own result", async () => {
    const r = recorder();
    const b = new Batcher({ run: r.run, maxBatch: 10, maxInFlight: 1 });
    const p = b.add(7);
    await new Promise((res) => setImmediate(res));
    expect(r.batches).toEqual([[7]]);
    await r.release();
    await expect(p).resolves.toBe(70);
  });

  it("gathers what arrives while a batch is out, bounded by maxBatch and maxInFlight", async () => {
    const r = recorder();
    const b = new Batcher({ run: r.run, maxBatch: 3, maxInFlight: 1 });
    const first = b.add(1);
    await new Promise((res) => setImmediate(res));
    const later = [2, 3, 4, 5, 6].map((i) => b.add(i));
    await new Promise((res) => setImmediate(res));
    expect(r.batches).toEqual([[1]]); // one in flight: the rest wait
    expect(b.pending).toBe(6);
    await r.release();
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
    await r.release();
    await r.release();
    expect(r.batches).toEqual([[1], [2, 3, 4], [5, 6]]);
    await expect(Promise.all([first, ...later])).resolves.toEqual([10, 20, 30, 40, 50, 60]);
    expect(b.pending).toBe(0);
  });

  it("runs up to maxInFlight batches at once", async () => {
    const r = recorder();
    const b = new Batcher({ run: r.run, maxBatch: 2, maxInFlight: 2 });
    const all = [1, 2, 3, 4, 5].map((i) => b.add(i));
    await new Promise((res) => setImmediate(res));
    expect(r.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    await r.release();
    expect(r.batches).toHaveLength(3);
    await r.release();
    await expect(Promise.all(all)).resolves.toEqual([10, 20, 30, 40, 50]);
  });

  it("fails every caller of a batch that throws or answers the wrong number of results, then goes on", async () => {
    let calls = 0;
    const b = new Batcher<number, number>({
      run: async (items) => {
        calls++;
        if (calls === 1) throw new Error("database gone");
        if (calls === 2) return [1];
        return items;
      },
      maxBatch: 5,
      maxInFlight: 1,
    });
    const a = [b.add(1), b.add(2)];
    await expect(a[0]).rejects.toThrow("database gone");
    await expect(a[1]).rejects.toThrow("database gone");
    await expect(Promise.all([b.add(3), b.add(4)])).rejects.toThrow("gave 1 results");
    await expect(b.add(5)).resolves.toBe(5);
  });
});
