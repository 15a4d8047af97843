package org.tinybert.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class JsonTest {
    @Test
    public void parsesEveryType() {
        Map<String, Object> m = Json.parseObject(
                "{\"s\": \"a\\\"b\\u00e9\\n\", \"i\": -3, \"d\": 1.5e2, \"t\": true, \"f\": false, \"n\": null,"
                + " \"l\": [1, [], {}], \"o\": {\"k\": \"v\"}}");
        assertEquals("a\"b\u00e9\n", m.get("s"));
        assertEquals(-3L, m.get("i"));
        assertEquals(150.0, (Double) m.get("d"), 0);
        assertEquals(Boolean.TRUE, m.get("t"));
        assertEquals(Boolean.FALSE, m.get("f"));
        assertNull(m.get("n"));
        assertEquals(3, ((List<?>) m.get("l")).size());
        assertEquals("v", ((Map<?, ?>) m.get("o")).get("k"));
    }

    @Test
    public void writesWhatItParses() {
        Map<String, Object> m = new LinkedHashMap<String, Object>();
        m.put("name", "q\"uote\\ \u0001 é");
        m.put("values", Arrays.<Object>asList(1L, 2.5, null, true));
        m.put("nan", Double.NaN);
        String text = Json.write(m);
        Map<String, Object> back = Json.parseObject(text);
        assertEquals(m.get("name"), back.get("name"));
        assertEquals(Arrays.<Object>asList(1L, 2.5, null, true), back.get("values"));
        assertNull(back.get("nan"));
    }

    @Test
    public void badJsonNamesThePosition() {
        for (String bad : new String[] {"{\"a\": }", "[1, 2", "{\"a\" 1}", "\"open", "{} x"}) {
            try {
                Json.parse(bad);
                fail(bad);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("Invalid JSON at character"));
            }
        }
    }
}
