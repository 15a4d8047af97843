package org.tinybert.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.Test;

/**
 * Engine selection, and the model inspection it rests on, on real files: metadata_model.tflite
 * is what `tinybert-tf export --format mediapipe` writes (android_demo/scripts/make_test_models.py),
 * plain_model.tflite the same graph without metadata.
 */
public class EngineChoiceTest {
    static ByteBuffer model(String name) throws IOException {
        return ByteBuffer.wrap(GoldenTokenizationTest.resourceBytes(name));
    }

    @Test
    public void theMetadataModelCarriesMetadataAndItsPackedFiles() throws IOException {
        TfliteModelInfo info = TfliteModelInfo.read(model("metadata_model.tflite"));
        assertTrue(info.metadataNames.toString(), info.metadataNames.contains("TFLITE_METADATA"));
        assertEquals(Arrays.asList("vocab.txt", "labels.txt"), info.packedFiles);
        assertTrue(info.carriesTextClassifierMetadata());
    }

    @Test
    public void thePlainModelCarriesNone() throws IOException {
        TfliteModelInfo info = TfliteModelInfo.read(model("plain_model.tflite"));
        assertFalse(info.metadataNames.contains("TFLITE_METADATA"));
        assertTrue(info.packedFiles.isEmpty());
        assertFalse(info.carriesTextClassifierMetadata());
        // The converter's own entries are still read (min_runtime_version at least).
        assertFalse(info.metadataNames.toString(), info.metadataNames.isEmpty());
    }

    @Test
    public void metadataWithoutItsPackedFilesIsNotEnough() throws IOException {
        ByteBuffer full = model("metadata_model.tflite");
        byte[] bytes = new byte[full.limit()];
        full.get(bytes);
        // Cut the zip off (it starts at the first local file header after the flatbuffer).
        int zip = indexOf(bytes, new byte[] {'P', 'K', 3, 4});
        TfliteModelInfo info = TfliteModelInfo.read(ByteBuffer.wrap(Arrays.copyOf(bytes, zip)));
        assertTrue(info.metadataNames.contains("TFLITE_METADATA"));
        assertFalse(info.carriesTextClassifierMetadata());
    }

    @Test
    public void aFileThatIsNoModelIsRefused() {
        try {
            TfliteModelInfo.read(ByteBuffer.wrap("{\"format_version\": 1}".getBytes()));
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("Not a TFLite model"));
        }
    }

    @Test
    public void autoTakesMediaPipeOnlyWithMetadataAndTheRuntime() throws IOException {
        TfliteModelInfo meta = TfliteModelInfo.read(model("metadata_model.tflite"));
        TfliteModelInfo plain = TfliteModelInfo.read(model("plain_model.tflite"));
        assertEquals(EngineChoice.Engine.MEDIAPIPE, EngineChoice.choose("auto", meta, true, true).engine);
        EngineChoice noRuntime = EngineChoice.choose("auto", meta, false, true);
        assertEquals(EngineChoice.Engine.LITERT, noRuntime.engine);
        assertTrue(noRuntime.reason, noRuntime.reason.contains("no MediaPipe runtime"));
        EngineChoice noMetadata = EngineChoice.choose("auto", plain, true, true);
        assertEquals(EngineChoice.Engine.LITERT, noMetadata.engine);
        assertTrue(noMetadata.reason, noMetadata.reason.contains("no TextClassifier metadata"));
        assertEquals(EngineChoice.Engine.LITERT, EngineChoice.choose("litert", meta, true, true).engine);
        assertEquals(EngineChoice.Engine.MEDIAPIPE, EngineChoice.choose("auto", meta, true, false).engine);
    }

    @Test
    public void forcedChoicesThatCannotWorkSayTheFix() throws IOException {
        TfliteModelInfo meta = TfliteModelInfo.read(model("metadata_model.tflite"));
        TfliteModelInfo plain = TfliteModelInfo.read(model("plain_model.tflite"));
        expectRefusal("mediapipe", plain, true, true, "export --format mediapipe");
        expectRefusal("mediapipe", meta, false, true, "no MediaPipe runtime");
        expectRefusal("auto", plain, true, false, "no LiteRT runtime");
        expectRefusal("auto", meta, false, false, "neither runtime");
        expectRefusal("gpu", meta, true, true, "use auto, mediapipe or litert");
    }

    @Test
    public void probabilitiesBundlesAreNotSoftmaxedTwice() throws IOException {
        String json = GoldenTokenizationTest.resource("bundle_sample.json")
                .replace("\"output_kind\": \"logits\"", "\"output_kind\": \"probabilities\"");
        BundleSpec spec = BundleSpec.parse(json);
        TextClassifier classifier = new TextClassifier(spec,
                new BertTokenizer(GoldenTokenizationTest.vocab(), spec.doLowerCase, spec.stripAccents),
                new TextClassifierTest.FakeEngine(0.2f, 0.8f));
        Prediction p = classifier.classify("This snack is great!", null);
        assertEquals("great", p.label);
        assertEquals(0.8f, p.confidence, 1e-6);  // softmax again would give 0.646
        assertArrayEquals(new float[] {0.2f, 0.8f}, p.probabilities, 0f);
        try {
            BundleSpec.parse(json.replace("\"probabilities\"", "\"scores\""));
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("output_kind=scores does not fit"));
        }
    }

    @Test
    public void scoresFromATokenizingEngineFollowTheLabels() {
        Prediction p = Prediction.fromScores(Arrays.asList("other", "great"), new float[] {0.7f, 0.3f}, 4.5);
        assertEquals("other", p.label);
        assertEquals(-1, p.numTokens);
        assertEquals(4.5, p.inferenceMs, 0);
        try {
            Prediction.fromScores(Arrays.asList("other", "great"), new float[] {1f}, 1);
            fail();
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("different exports"));
        }
    }

    private static void expectRefusal(String preference, TfliteModelInfo info, boolean mediaPipe, boolean liteRt,
                                      String says) {
        try {
            EngineChoice.choose(preference, info, mediaPipe, liteRt);
            fail(preference);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(says));
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            boolean match = true;
            for (int k = 0; k < needle.length && match; k++) {
                match = haystack[i + k] == needle[k];
            }
            if (match) {
                return i;
            }
        }
        return -1;
    }
}
