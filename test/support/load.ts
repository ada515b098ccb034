/**
 * A steady, bounded request stream from this machine to a URL (a Service's ClusterIP on the real node):
 * `rate` requests a second, at most `concurrency` in flight, each with a timeout. Records every
 * request's outcome and latency; `stop` returns the figures.
 */
export interface LoadReport {
    requests: number;
    failures: number;
    /** The first few failures: status or error, and when (ms since the start). */
    failureSamples: string[];
    /** Time from the first failure to the last, ms (0 without failures). */
    failureWindowMs: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    durationMs: number;
}

export interface Load {
    stop(): Promise<LoadReport>;
}

function percentile(sorted: number[], p: number): number {
    if (!sorted.length) return 0;
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function startLoad(url: string, opts: { rate?: number; concurrency?: number; timeoutMs?: number; method?: string } = {}): Load {
    const rate = opts.rate ?? 20;
    const concurrency = opts.concurrency ?? 8;
    const timeoutMs = opts.timeoutMs ?? 5000;
    const started = Date.now();
    const latencies: number[] = [];
    const failures: { at: number; what: string }[] = [];
    const inFlight = new Set<Promise<void>>();
    let sent = 0;

    const one = async () => {
        const t0 = Date.now();
        try {
            const res = await fetch(url, { method: opts.method ?? "GET", signal: AbortSignal.timeout(timeoutMs) });
            await res.arrayBuffer();
            if (!res.ok) failures.push({ at: t0 - started, what: `HTTP ${res.status}` });
        } catch (e) {
            const err = e as Error & { cause?: { code?: string } };
            failures.push({ at: t0 - started, what: err.cause?.code ?? err.message });
        }
        latencies.push(Date.now() - t0);
    };

    const timer = setInterval(() => {
        const due = Math.floor(((Date.now() - started) / 1000) * rate) - sent;
        for (let i = 0; i < due; i++) {
            sent++;
            if (inFlight.size >= concurrency) {
                failures.push({ at: Date.now() - started, what: `more than ${concurrency} requests in flight` });
                continue;
            }
            const p = one().finally(() => inFlight.delete(p));
            inFlight.add(p);
        }
    }, 10);

    return {
        async stop() {
            clearInterval(timer);
            await Promise.all(inFlight);
            const sorted = [...latencies].sort((a, b) => a - b);
            return {
                requests: sent,
                failures: failures.length,
                failureSamples: failures.slice(0, 5).map(f => `${f.what} at ${(f.at / 1000).toFixed(1)} s`),
                failureWindowMs: failures.length ? failures[failures.length - 1].at - failures[0].at : 0,
                p50Ms: percentile(sorted, 50),
                p99Ms: percentile(sorted, 99),
                maxMs: sorted[sorted.length - 1] ?? 0,
                durationMs: Date.now() - started,
            };
        },
    };
}

/** One line for the suite's report. */
export function describeLoad(r: LoadReport): string {
    return `${r.requests} requests in ${(r.durationMs / 1000).toFixed(1)} s, ${r.failures} failed${r.failures ? ` (${r.failureSamples.join("; ")}; window ${(r.failureWindowMs / 1000).toFixed(1)} s)` : ""}, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms`;
}
