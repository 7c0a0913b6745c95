// The one autocannon runner of `npm run bench` (bench/run.mjs and the groups it imports).
import autocannon from "autocannon";

/**
 * autocannon over `base`, each request from `next()`, for `duration` seconds or exactly `amount`
 * requests, timed from the start to the last response ourselves (autocannon's own start and
 * finish are rounded to its one-second sampling tick, too coarse for a few thousand requests).
 * With `expected`, fails on any error, timeout, status other than `expected`, or body `check`
 * refuses; without it (a warm-up) only autocannon's own failure fails.
 */
export function cannon(title, { base, connections, duration, amount, next, expected, check }) {
  return new Promise((resolve, reject) => {
    let bad = 0;
    let sample = null;
    const t0 = performance.now();
    let last = t0;
    const inst = autocannon(
      {
        url: base,
        connections,
        ...(amount ? { amount } : { duration }),
        title,
        requests: [
          {
            setupRequest: (req) => ({ ...req, ...next() }),
            ...(check
              ? {
                  onResponse: (status, body) => {
                    if (status === expected && !check(body)) {
                      bad++;
                      sample ??= body.slice(0, 300);
                    }
                  },
                }
              : {}),
          },
        ],
      },
      (err, r) => {
        if (err) return reject(err);
        const seen = Object.keys(r.statusCodeStats ?? {});
        const wrong = r.errors > 0 || r.timeouts > 0 || seen.some((c) => Number(c) !== expected) || bad > 0;
        if (expected !== undefined && wrong)
          return reject(
            new Error(
              `${title}: expected only ${expected}, saw ${JSON.stringify(r.statusCodeStats)}, ${r.errors} errors, ` +
                `${r.timeouts} timeouts, ${bad} wrong bodies${sample ? ` (e.g. ${sample})` : ""}`,
            ),
          );
        const seconds = amount ? (last - t0) / 1000 : r.duration;
        resolve({
          title,
          rps: amount ? r.requests.total / seconds : r.requests.average,
          p50ms: r.latency.p50,
          p99ms: r.latency.p99,
          requests: r.requests.total,
          seconds: Number(seconds.toFixed(2)),
        });
      },
    );
    inst.on("response", () => {
      last = performance.now();
    });
  });
}
