package org.tinybert.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import org.junit.Test;

public class TextClassifierTest {
    /** Returns fixed logits and remembers what it was given. */
    static final class FakeEngine implements InferenceEngine {
        final float[] logits;
        int[] lastIds;
        int[] lastMask;
        int calls;

        FakeEngine(float... logits) {
            this.logits = logits;
        }

        @Override
        public float[] run(int[] inputIds, int[] attentionMask, int[] tokenTypeIds) {
            lastIds = inputIds;
            lastMask = attentionMask;
            calls++;
            return logits.clone();
        }

        @Override
        public String describe() {
            return "fake";
        }

        @Override
        public void close() {
        }
    }

    private static TextClassifier classifier(String bundleJson, FakeEngine engine) throws IOException {
        BundleSpec spec = BundleSpec.parse(bundleJson);
        BertTokenizer tokenizer = new BertTokenizer(GoldenTokenizationTest.vocab(), spec.doLowerCase, spec.stripAccents);
        return new TextClassifier(spec, tokenizer, engine);
    }

    @Test
    public void labelsFollowTheBundlesOrder() throws IOException {
        FakeEngine engine = new FakeEngine(0f, (float) Math.log(3));  // p(great) = 0.75
        Prediction p = classifier(GoldenTokenizationTest.resource("bundle_sample.json"), engine)
                .classify("This snack is great!", null);
        assertEquals("great", p.label);
        assertEquals(0.75f, p.confidence, 1e-6);
        assertArrayEquals(new int[] {101, 2023, 19782, 2003, 2307, 999, 102}, engine.lastIds);
        assertEquals(7, p.numTokens);
        assertTrue(p.inferenceMs >= 0);
    }

    @Test
    public void emptyTextIsRefused() throws IOException {
        try {
            classifier(GoldenTokenizationTest.resource("bundle_sample.json"), new FakeEngine(0f, 1f)).classify("  ", null);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("The text is empty"));
        }
    }

    @Test
    public void aFixedLengthModelGetsPaddedInputs() throws IOException {
        String json = GoldenTokenizationTest.resource("bundle_sample.json")
                .replace("\"fixed_seq_len\": null", "\"fixed_seq_len\": 128");
        FakeEngine engine = new FakeEngine(1f, 0f);
        Prediction p = classifier(json, engine).classify("stale", null);
        assertEquals("other", p.label);
        assertEquals(128, engine.lastIds.length);
        assertEquals(0, engine.lastMask[127]);
    }

    @Test
    public void logitsThatDoNotMatchTheLabelsAreAnError() throws IOException {
        try {
            classifier(GoldenTokenizationTest.resource("bundle_sample.json"), new FakeEngine(0f, 1f, 2f)).classify("x", null);
            fail();
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage().contains("different exports"));
        }
    }

    @Test
    public void softmaxIsStableForLargeLogits() {
        float[] p = TextClassifier.softmax(new float[] {1000f, 1000f});
        assertEquals(0.5f, p[0], 1e-6);
    }
}
