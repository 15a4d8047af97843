package org.tinybert.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * The answers and word tags the Python side picked (scripts/make_task_golden.py:
 * data.best_spans over several windows a question, data.word_predictions with words cut
 * off by max_length; raw text through pipeline("token-classification")) must come out
 * identical from SpanSearch, TagDecoder and TextTagger.
 */
public class TaskGoldenTest {
    private static float[] floats(Object list) {
        List<?> values = (List<?>) list;
        float[] out = new float[values.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = ((Number) values.get(k)).floatValue();
        }
        return out;
    }

    private static Map<String, Object> golden() throws IOException {
        return Json.parseObject(GoldenTokenizationTest.resource("task_golden.json"));
    }

    @Test
    @SuppressWarnings("unchecked")
    public void spanSearchPicksThePythonAnswers() throws IOException {
        Map<String, Object> golden = golden();
        int nBest = ((Number) golden.get("n_best")).intValue();
        int maxAnswer = ((Number) golden.get("max_answer_length")).intValue();
        List<Object> cases = (List<Object>) golden.get("qa");
        int multiWindow = 0;
        for (Object raw : cases) {
            Map<String, Object> c = (Map<String, Object>) raw;
            List<SpanSearch.Window> windows = new ArrayList<SpanSearch.Window>();
            for (Object w : (List<Object>) c.get("windows")) {
                Map<String, Object> window = (Map<String, Object>) w;
                windows.add(new SpanSearch.Window(floats(window.get("start_logits")), floats(window.get("end_logits")),
                        GoldenTokenizationTest.ints(window.get("char_start")), GoldenTokenizationTest.ints(window.get("char_end"))));
            }
            multiWindow += windows.size() > 1 ? 1 : 0;
            String context = (String) c.get("context");
            assertEquals((String) c.get("id"), c.get("answer"), SpanSearch.best(windows, nBest, maxAnswer).text(context));
        }
        assertTrue("the golden has questions whose context needs several windows", multiWindow > 5);
    }

    @Test
    @SuppressWarnings("unchecked")
    public void tagDecoderReadsThePythonTags() throws IOException {
        Map<String, Object> golden = golden();
        String[] tags = ((List<String>) golden.get("tag_names")).toArray(new String[0]);
        String fill = (String) golden.get("fill");
        BertTokenizer tokenizer = new BertTokenizer(GoldenTokenizationTest.vocab(), true, true);
        int cutOff = 0;
        for (Object raw : (List<Object>) golden.get("tagging")) {
            Map<String, Object> c = (Map<String, Object>) raw;
            List<Object> rows = (List<Object>) c.get("logits");
            float[][] logits = new float[rows.size()][];
            for (int p = 0; p < logits.length; p++) {
                logits[p] = floats(rows.get(p));
            }
            List<String> expected = (List<String>) c.get("tags");
            // The app's own encoding of the words: the Python ids (padding aside) and word ids.
            List<String> words = (List<String>) c.get("words");
            TagDecoder.WordEncoding encoded = TagDecoder.encodeWords(tokenizer, words, logits.length);
            int[] goldenIds = GoldenTokenizationTest.ints(c.get("input_ids"));
            int[] goldenWords = GoldenTokenizationTest.ints(c.get("word_ids"));
            int n = encoded.encoding.length();
            assertArrayEquals(java.util.Arrays.copyOf(goldenIds, n), encoded.encoding.inputIds);
            assertArrayEquals(java.util.Arrays.copyOf(goldenWords, n), encoded.wordIds);
            String[] got = TagDecoder.wordTags(java.util.Arrays.copyOf(logits, n), encoded.wordIds, tags,
                    words.size(), fill);
            assertArrayEquals(expected.toArray(new String[0]), got);
            cutOff += expected.contains(fill) ? 1 : 0;
        }
        assertTrue("the golden has sentences cut off by max_length", cutOff > 0);
    }

    /** The app's whole tagging path: raw text -> words, pieces -> (replayed scores) -> Python's tags, scores, offsets. */
    @Test
    @SuppressWarnings("unchecked")
    public void textTaggerIsThePythonPipeline() throws IOException {
        Map<String, Object> golden = golden();
        List<String> tags = (List<String>) golden.get("tag_names");
        BertTokenizer tokenizer = new BertTokenizer(GoldenTokenizationTest.vocab(), true, true);
        int untagged = 0;
        for (Object raw : (List<Object>) golden.get("text_tagging")) {
            Map<String, Object> c = (Map<String, Object>) raw;
            List<Object> rows = (List<Object>) c.get("logits");
            final float[][] logits = new float[rows.size()][];
            for (int p = 0; p < logits.length; p++) {
                logits[p] = floats(rows.get(p));
            }
            TextTagger tagger = new TextTagger(tags, logits.length, tokenizer, new TokenEngine() {
                @Override
                public float[][] runTokens(int[] inputIds, int[] attentionMask, int[] tokenTypeIds) {
                    return java.util.Arrays.copyOf(logits, inputIds.length);
                }
            });
            String text = (String) c.get("text");
            List<TextTagger.Word> got = tagger.tag(text).words;
            List<Object> expected = (List<Object>) c.get("words");
            assertEquals(text, expected.size(), got.size());
            for (int w = 0; w < got.size(); w++) {
                Map<String, Object> e = (Map<String, Object>) expected.get(w);
                TextTagger.Word g = got.get(w);
                assertEquals(text, e.get("word"), g.text);
                assertEquals(text, ((Number) e.get("start")).intValue(), g.start);
                assertEquals(text, ((Number) e.get("end")).intValue(), g.end);
                assertEquals(text, e.get("tag"), g.tag);
                assertEquals(text, ((Number) e.get("score")).doubleValue(), g.score, 2e-6);
                untagged += g.tag == null ? 1 : 0;
            }
        }
        assertTrue("the golden has words cut off by max_length", untagged > 0);
    }

    @Test(expected = IllegalArgumentException.class)
    public void textTaggerRefusesTextWithoutWords() throws IOException {
        BertTokenizer tokenizer = new BertTokenizer(GoldenTokenizationTest.vocab(), true, true);
        new TextTagger(java.util.Arrays.asList("NOUN", "VERB"), 16, tokenizer, null).tag(" \t\u00a0\u3000");
    }

    @Test
    @SuppressWarnings("unchecked")
    public void offsetsAreHuggingFaces() throws IOException {
        BertTokenizer tokenizer = new BertTokenizer(GoldenTokenizationTest.vocab(), true, true);
        for (Object raw : (List<Object>) golden().get("offsets")) {
            Map<String, Object> c = (Map<String, Object>) raw;
            List<BertTokenizer.Piece> pieces = tokenizer.tokenizeWithOffsets((String) c.get("text"));
            List<String> tokens = new ArrayList<String>();
            int[] start = new int[pieces.size()];
            int[] end = new int[pieces.size()];
            for (int k = 0; k < pieces.size(); k++) {
                tokens.add(pieces.get(k).token);
                start[k] = pieces.get(k).start;
                end[k] = pieces.get(k).end;
            }
            String text = (String) c.get("text");
            assertEquals(text, c.get("tokens"), tokens);
            assertArrayEquals(text, GoldenTokenizationTest.ints(c.get("start")), start);
            assertArrayEquals(text, GoldenTokenizationTest.ints(c.get("end")), end);
        }
    }

    /** The app's whole QA path: question + context -> the Python windows -> (golden scores) -> the Python answer. */
    @Test
    @SuppressWarnings("unchecked")
    public void qaWindowsAndAnswersArePythons() throws IOException {
        Map<String, Object> golden = golden();
        BertTokenizer tokenizer = new BertTokenizer(GoldenTokenizationTest.vocab(), true, true);
        int maxLength = ((Number) golden.get("max_length")).intValue();
        int stride = ((Number) golden.get("doc_stride")).intValue();
        int maxQuery = ((Number) golden.get("max_query_length")).intValue();
        for (Object raw : (List<Object>) golden.get("qa")) {
            Map<String, Object> c = (Map<String, Object>) raw;
            String context = (String) c.get("context");
            List<QaEncoder.QaWindow> windows = QaEncoder.encode(tokenizer, (String) c.get("question"), context,
                    maxLength, stride, maxQuery);
            List<Object> expected = (List<Object>) c.get("windows");
            assertEquals(context, expected.size(), windows.size());
            List<SpanSearch.Window> scored = new ArrayList<SpanSearch.Window>();
            for (int w = 0; w < windows.size(); w++) {
                Map<String, Object> e = (Map<String, Object>) expected.get(w);
                QaEncoder.QaWindow got = windows.get(w);
                assertArrayEquals(context, GoldenTokenizationTest.ints(e.get("input_ids")), got.encoding.inputIds);
                assertArrayEquals(context, GoldenTokenizationTest.ints(e.get("token_type_ids")), got.encoding.tokenTypeIds);
                assertArrayEquals(context, GoldenTokenizationTest.ints(e.get("char_start")), got.charStart);
                assertArrayEquals(context, GoldenTokenizationTest.ints(e.get("char_end")), got.charEnd);
                scored.add(got.withScores(floats(e.get("start_logits")), floats(e.get("end_logits"))));
            }
            assertEquals(context, c.get("answer"), SpanSearch.best(scored, ((Number) golden.get("n_best")).intValue(),
                    ((Number) golden.get("max_answer_length")).intValue()).text(context));
        }
    }

    /** QuestionAnswerer end to end, its engine replaying the golden scores window by window. */
    @Test
    @SuppressWarnings("unchecked")
    public void questionAnswererGivesThePythonAnswers() throws IOException {
        Map<String, Object> golden = golden();
        String bundle = GoldenTokenizationTest.resource("bundle_sample.json")
                .replace("\"task_kind\": \"sequence\"", "\"task_kind\": \"span\", \"doc_stride\": "
                        + golden.get("doc_stride") + ", \"max_query_length\": " + golden.get("max_query_length")
                        + ", \"max_answer_length\": " + golden.get("max_answer_length"))
                .replace("\"max_length\": 128", "\"max_length\": " + golden.get("max_length"))
                .replace("\"output_kind\": \"logits\"", "\"output_kind\": \"span_logits\"")
                .replace("\"output_names\": [\n    \"logits\"\n  ]", "\"output_names\": [\"start_logits\", \"end_logits\"]");
        BundleSpec spec = BundleSpec.parse(bundle);
        BertTokenizer tokenizer = new BertTokenizer(GoldenTokenizationTest.vocab(), true, true);
        for (Object raw : (List<Object>) golden.get("qa")) {
            Map<String, Object> c = (Map<String, Object>) raw;
            final List<Object> windows = (List<Object>) c.get("windows");
            final int[] next = {0};
            SpanEngine replay = new SpanEngine() {
                @Override
                public float[][] runSpan(int[] inputIds, int[] attentionMask, int[] tokenTypeIds) {
                    Map<String, Object> w = (Map<String, Object>) windows.get(next[0]++);
                    assertArrayEquals(GoldenTokenizationTest.ints(w.get("input_ids")), inputIds);
                    return new float[][] {floats(w.get("start_logits")), floats(w.get("end_logits"))};
                }
            };
            QuestionAnswerer.Result result = new QuestionAnswerer(spec, tokenizer, replay)
                    .answer((String) c.get("question"), (String) c.get("context"));
            assertEquals(c.get("answer"), result.text);
            assertEquals(windows.size(), result.windows);
            assertEquals(result.text, ((String) c.get("context")).substring(Math.max(0, result.start),
                    Math.max(0, result.end)));
        }
    }

    @Test(expected = IllegalArgumentException.class)
    public void mismatchedWindowIsRefused() {
        new SpanSearch.Window(new float[3], new float[2], new int[3], new int[3]);
    }
}
