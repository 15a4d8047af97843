package org.tinybert.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class BenchmarkProtocolTest {
    /** Each run takes (1 + call index) ms on this clock. */
    static final class StepClock implements BenchmarkProtocol.Clock {
        long now;
        int reads;

        @Override
        public long nanoTime() {
            reads++;
            if (reads % 2 == 0) {
                now += reads / 2 * 1_000_000L;
            }
            return now;
        }
    }

    @Test
    public void defaultInputsAreTheHosts() {
        int[][] in = BenchmarkProtocol.defaultInputs(5);
        assertArrayEquals(new int[] {101, 100, 100, 100, 102}, in[0]);
        assertArrayEquals(new int[] {1, 1, 1, 1, 1}, in[1]);
        assertArrayEquals(new int[] {0, 0, 0, 0, 0}, in[2]);
        // A pruned vocabulary's own ids ({unk, cls, sep}), as the bundle's special_tokens give them.
        assertArrayEquals(new int[] {2, 1, 1, 3}, BenchmarkProtocol.defaultInputs(4, new int[] {1, 2, 3})[0]);
    }

    @Test
    public void theBundlesSpecialIdsReachTheEngine() throws IOException {
        String json = GoldenTokenizationTest.resource("bundle_sample.json").replace("\"[UNK]\": 100", "\"[UNK]\": 7")
                .replace("\"[CLS]\": 101", "\"[CLS]\": 5").replace("\"[SEP]\": 102", "\"[SEP]\": 6");
        BundleSpec spec = BundleSpec.parse(json);
        assertArrayEquals(new int[] {7, 5, 6}, spec.specialIds);
        TextClassifierTest.FakeEngine engine = new TextClassifierTest.FakeEngine(0f, 1f);
        BenchmarkProtocol.run(engine, new LinkedHashMap<String, Object>(), "m", "v", "f", 1.0, null, new int[] {4}, 1,
                0, 1, new StepClock(), null, spec.specialIds);
        assertArrayEquals(new int[] {5, 7, 7, 6}, engine.lastIds);
    }

    @Test
    @SuppressWarnings("unchecked")
    public void warmupIsUntimedAndRowsFollowTheHostSchema() throws IOException {
        TextClassifierTest.FakeEngine engine = new TextClassifierTest.FakeEngine(0f, 1f);
        Map<String, Object> device = new LinkedHashMap<String, Object>();
        device.put("kind", "android");
        Map<String, Object> doc = BenchmarkProtocol.run(engine, device, "student", "dynamic_int8", "model.tflite",
                20.1, 0.813, new int[] {64, 128}, 1, 3, 4, new StepClock(), 72.0);
        assertEquals(2 * (3 + 4), engine.calls);
        assertEquals(BenchmarkProtocol.SCHEMA, doc.get("schema"));
        List<Object> rows = (List<Object>) doc.get("results");
        Map<String, Object> first = (Map<String, Object>) rows.get(0);
        assertEquals(64L, first.get("seq_len"));
        assertEquals(2.5, (Double) first.get("p50_ms"), 1e-9);  // runs took 1, 2, 3, 4 ms
        assertEquals(2.5, (Double) first.get("mean_ms"), 1e-9);
        String json = Json.write(doc);
        assertEquals(doc, Json.parseObject(json));
        // The Python side reads this file back through bench.merge/table (tests/test_android_demo.py).
        String out = System.getProperty("tinybert.benchOut");
        if (out != null) {
            FileOutputStream f = new FileOutputStream(out);
            f.write(json.getBytes(StandardCharsets.UTF_8));
            f.close();
        }
    }

    @Test
    public void badSeqLensNameTheFix() {
        assertArrayEquals(new int[] {64, 128}, BenchmarkProtocol.parseSeqLens(" 64, 128"));
        try {
            BenchmarkProtocol.parseSeqLens("64,abc");
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("pass e.g. 64,128"));
        }
    }
}
