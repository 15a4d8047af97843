package org.tinybert.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * The ids the Python side committed (scripts/make_tokenizer_golden.py: fine_foods reviews,
 * unicode, accents, punctuation, CJK, emoji, control characters, over-long words and texts,
 * pairs; uncased and cased; max_length 128 and 16) must come out identical, for 100%.
 */
public class GoldenTokenizationTest {
    static String resource(String name) throws IOException {
        return new String(resourceBytes(name), StandardCharsets.UTF_8);
    }

    static byte[] resourceBytes(String name) throws IOException {
        InputStream in = GoldenTokenizationTest.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IOException(name + " is not on the test classpath (android_demo/core/src/test/resources).");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
        }
        in.close();
        return out.toByteArray();
    }

    static Map<String, Integer> vocab() throws IOException {
        return BertTokenizer.readVocab(GoldenTokenizationTest.class.getClassLoader().getResourceAsStream("vocab.txt"));
    }

    static int[] ints(Object list) {
        List<?> values = (List<?>) list;
        int[] out = new int[values.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = ((Number) values.get(k)).intValue();
        }
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    public void everyGoldenCaseIsIdentical() throws IOException {
        Map<String, Object> golden = Json.parseObject(resource("tokenizer_golden.json"));
        Map<String, Integer> vocab = vocab();
        BertTokenizer uncased = new BertTokenizer(vocab, true, true);
        BertTokenizer cased = new BertTokenizer(vocab, false, false);
        List<Object> cases = (List<Object>) golden.get("cases");
        List<String> failures = new ArrayList<String>();
        for (Object c : cases) {
            Map<String, Object> item = (Map<String, Object>) c;
            BertTokenizer tok = (Boolean) item.get("do_lower_case") ? uncased : cased;
            Encoding got = tok.encode((String) item.get("text"), (String) item.get("pair"),
                    ((Number) item.get("max_length")).intValue());
            int[] ids = ints(item.get("input_ids"));
            int[] types = ints(item.get("token_type_ids"));
            if (!java.util.Arrays.equals(ids, got.inputIds) || !java.util.Arrays.equals(types, got.tokenTypeIds)) {
                failures.add(Json.write(item.get("text")) + " lower=" + item.get("do_lower_case") + "\n  want "
                        + java.util.Arrays.toString(ids) + "\n  got  " + java.util.Arrays.toString(got.inputIds));
            }
        }
        System.out.println("golden tokenizer parity: " + (cases.size() - failures.size()) + "/" + cases.size()
                + " texts identical");
        assertTrue(cases.size() > 800);
        assertEquals("mismatches:\n" + (failures.isEmpty() ? "" : String.join("\n", failures.subList(0,
                Math.min(5, failures.size())))), 0, failures.size());
    }
}
