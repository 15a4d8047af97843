package org.tinybert.core;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class LatencyStatsTest {
    @Test
    public void percentilesMatchNumpy() {
        // numpy.percentile([7,1,3,10,2,9,4,8,6,5], [50, 90, 99]) == [5.5, 9.1, 9.91]; mean 5.5
        LatencyStats s = new LatencyStats(new double[] {7, 1, 3, 10, 2, 9, 4, 8, 6, 5});
        assertEquals(5.5, s.p50Ms, 1e-12);
        assertEquals(9.1, s.p90Ms, 1e-12);
        assertEquals(9.91, s.p99Ms, 1e-12);
        assertEquals(5.5, s.meanMs, 1e-12);
        assertEquals(10, s.runs);
    }

    @Test
    public void oneRun() {
        LatencyStats s = new LatencyStats(new double[] {3.0});
        assertEquals(3.0, s.p99Ms, 0);
    }

    @Test
    public void peakMemoryIsReadFromProc() {
        Double mb = ProcessMemory.peakRssMb();  // Linux host and Android both have /proc/self/status
        org.junit.Assert.assertNotNull(mb);
        org.junit.Assert.assertTrue(mb > 1);
    }
}
