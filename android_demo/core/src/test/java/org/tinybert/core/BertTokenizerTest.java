package org.tinybert.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.Test;

public class BertTokenizerTest {
    private static BertTokenizer tiny(boolean lower) {
        Map<String, Integer> vocab = new HashMap<String, Integer>();
        String[] pieces = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "great", "snack", "un", "##aff", "##able", "!", ",",
            "cafe", "Cafe", "中", "文", "a", "b", "c", "d"};
        for (int k = 0; k < pieces.length; k++) {
            vocab.put(pieces[k], k);
        }
        return new BertTokenizer(vocab, lower, lower);
    }

    @Test
    public void lowercasesStripsAccentsAndSplitsPunctuation() {
        assertEquals(Arrays.asList("great", "snack", "!", "cafe", ","), tiny(true).tokenize("GREAT snack! Café,"));
    }

    @Test
    public void casedKeepsCaseAndAccents() {
        assertEquals(Arrays.asList("[UNK]", "snack", "Cafe", "[UNK]"), tiny(false).tokenize("GREAT snack Cafe Café"));
    }

    @Test
    public void wordPieceContinuationsAndUnknownWords() {
        assertEquals(Arrays.asList("un", "##aff", "##able", "[UNK]"), tiny(true).tokenize("unaffable unaffablex"));
    }

    @Test
    public void chineseCharactersAreSeparateWords() {
        assertEquals(Arrays.asList("中", "文", "a"), tiny(true).tokenize("中文a"));
    }

    @Test
    public void controlCharactersDropAndOverLongWordsAreUnknown() {
        assertEquals(Arrays.asList("a", "b"), tiny(true).tokenize("a\u0000\u200b b\ufffd"));
        char[] longWord = new char[101];
        Arrays.fill(longWord, 'a');
        assertEquals(Arrays.asList("[UNK]"), tiny(true).tokenize(new String(longWord)));
    }

    @Test
    public void emptyTextIsClsSep() {
        Encoding e = tiny(true).encode("", null, 8);
        assertArrayEquals(new int[] {2, 3}, e.inputIds);
        assertFalse(e.truncated);
    }

    @Test
    public void pairsGetSegmentIdsAndLongestFirstTruncation() {
        Encoding e = tiny(true).encode("a b c d a b", "c", 7);  // budget 4: first keeps 3, second 1
        assertArrayEquals(new int[] {2, 15, 16, 17, 3, 17, 3}, e.inputIds);
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1, 1}, e.tokenTypeIds);
        assertTrue(e.truncated);
        Encoding both = tiny(true).encode("a a a a", "b b b b", 8);  // budget 5: 2 and 3 (longer gets the odd one)
        assertArrayEquals(new int[] {2, 15, 15, 3, 16, 16, 16, 3}, both.inputIds);
    }

    @Test
    public void paddingToAFixedLength() {
        Encoding e = tiny(true).encode("great", null, 8).padded(6);
        assertArrayEquals(new int[] {2, 4, 3, 0, 0, 0}, e.inputIds);
        assertArrayEquals(new int[] {1, 1, 1, 0, 0, 0}, e.attentionMask);
    }

    @Test
    public void aVocabularyWithoutSpecialTokensIsRefused() {
        Map<String, Integer> vocab = new HashMap<String, Integer>();
        vocab.put("hello", 0);
        try {
            new BertTokenizer(vocab, true, true);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("not a BERT WordPiece vocab.txt"));
        }
    }

    @Test
    public void tooSmallMaxLengthIsRefused() {
        try {
            tiny(true).encode("a", "b", 2);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("use at least 3"));
        }
    }
}
