package org.tinybert.core;

import java.util.Arrays;

/** p50/p90/p99/mean of timed runs, with NumPy's default (linear) percentile, as the host harness. */
public final class LatencyStats {
    public final double p50Ms;
    public final double p90Ms;
    public final double p99Ms;
    public final double meanMs;
    public final int runs;

    public LatencyStats(double[] millis) {
        if (millis.length == 0) {
            throw new IllegalArgumentException("No timed runs: use runs >= 1.");
        }
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        p50Ms = percentile(sorted, 50);
        p90Ms = percentile(sorted, 90);
        p99Ms = percentile(sorted, 99);
        double sum = 0;
        for (double v : sorted) {
            sum += v;
        }
        meanMs = sum / sorted.length;
        runs = sorted.length;
    }

    /** numpy.percentile(..., method="linear") of sorted values. */
    static double percentile(double[] sorted, double q) {
        double rank = q / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
    }
}
