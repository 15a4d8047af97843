package org.tinybert.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.util.Arrays;
import org.junit.Test;

public class BundleSpecTest {
    /** bundle_sample.json is a real `tinybert-tf export` bundle.json (tests/test_android_demo.py keeps the keys in step). */
    @Test
    public void readsTheExportersBundle() throws IOException {
        BundleSpec spec = BundleSpec.parse(GoldenTokenizationTest.resource("bundle_sample.json"));
        assertEquals("model.tflite", spec.modelFile);
        assertEquals(128, spec.maxLength);
        assertNull(spec.fixedSeqLen);
        assertTrue(spec.doLowerCase);
        assertEquals("ids", spec.inputNames.get("input_ids"));
        assertEquals("mask", spec.inputNames.get("attention_mask"));
        assertEquals("segment_ids", spec.inputNames.get("token_type_ids"));
        assertEquals(Arrays.asList("other", "great"), spec.labels);
        assertEquals("logits", spec.outputKind);
    }

    /** A question answerer's bundle: its window settings are read; the text classifier refuses it by name. */
    @Test
    public void aQaBundleCarriesItsWindowsAndIsNoClassifier() throws IOException {
        String text = GoldenTokenizationTest.resource("bundle_sample.json")
                .replace("\"task_kind\": \"sequence\"", "\"task_kind\": \"span\", \"doc_stride\": 128, "
                        + "\"max_query_length\": 64, \"max_answer_length\": 30")
                .replace("\"output_kind\": \"logits\"", "\"output_kind\": \"span_logits\"")
                .replace("\"output_names\": [\n    \"logits\"\n  ]", "\"output_names\": [\"start_logits\", \"end_logits\"]")
                .replace("\"labels\": [\n    \"other\",\n    \"great\"\n  ]", "\"labels\": []");
        BundleSpec spec = BundleSpec.parse(text);
        assertEquals("span", spec.taskKind);
        assertEquals(Arrays.asList("start_logits", "end_logits"), spec.outputNames);
        assertEquals(128, spec.docStride);
        assertEquals(64, spec.maxQueryLength);
        assertEquals(30, spec.maxAnswerLength);
        assertTrue(spec.labels.isEmpty());
        try {
            new TextClassifier(spec, null, null);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("span model") && e.getMessage().contains("QuestionAnswerer"));
        }
        try {
            BundleSpec.parse(text.replace("\"span_logits\"", "\"logits\""));
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("does not fit task_kind=span"));
        }
    }

    @Test
    public void anotherFormatVersionIsRefusedWithTheFix() throws IOException {
        String text = GoldenTokenizationTest.resource("bundle_sample.json").replace("\"format_version\": 1",
                "\"format_version\": 2");
        try {
            BundleSpec.parse(text);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("format_version 2; this app reads 1. Re-export"));
        }
    }

    @Test
    public void missingKeysAreNamed() throws IOException {
        String text = GoldenTokenizationTest.resource("bundle_sample.json").replace("\"labels\"", "\"labelz\"");
        try {
            BundleSpec.parse(text);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("lacks a valid \"labels\""));
        }
    }
}
