package org.tinybert.core;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * BERT WordPiece tokenizer that gives exactly the ids of the Python side
 * ({@code tinybert_tf.BertTokenizer}, i.e. Hugging Face tokenizers' BertNormalizer,
 * BertPreTokenizer, WordPiece and BERT post-processing with longest-first truncation).
 *
 * <p>Steps, each as in HF: clean text (drop NUL, U+FFFD and control/format/private-use
 * characters, map whitespace to a space), put spaces around CJK ideographs,
 * (uncased) NFD and drop non-spacing marks, then lowercase per code point; split on
 * whitespace and isolate punctuation; greedy longest-match WordPiece with "##" continuations,
 * a word over 100 characters or with an unmatchable piece becomes [UNK]; [CLS] A [SEP] (B [SEP]).
 * The golden test checks this against ids the Python side committed.
 *
 * <p>Plain Java 8, no Android imports: the same class runs in the app and in JUnit on the host.
 */
public final class BertTokenizer {
    public static final int MAX_INPUT_CHARS_PER_WORD = 100;

    private final Map<String, Integer> vocab;
    private final boolean doLowerCase;
    private final boolean stripAccents;
    private final int clsId;
    private final int sepId;
    private final int unkId;
    private final int padId;

    public BertTokenizer(Map<String, Integer> vocab, boolean doLowerCase, boolean stripAccents) {
        this.vocab = Collections.unmodifiableMap(new HashMap<String, Integer>(vocab));
        this.doLowerCase = doLowerCase;
        this.stripAccents = stripAccents;
        this.clsId = required("[CLS]");
        this.sepId = required("[SEP]");
        this.unkId = required("[UNK]");
        this.padId = required("[PAD]");
    }

    /** Reads a vocab.txt (one WordPiece a line, the line number is the id). */
    public static Map<String, Integer> readVocab(InputStream in) throws IOException {
        Map<String, Integer> vocab = new HashMap<String, Integer>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int id = 0;
        while ((line = reader.readLine()) != null) {
            // As HF: the line without its newline is the piece; a repeated piece keeps its last id.
            vocab.put(line, id++);
        }
        if (vocab.isEmpty()) {
            throw new IllegalArgumentException("The vocabulary file is empty: use the bundle's vocab.txt.");
        }
        return vocab;
    }

    private int required(String token) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException("The vocabulary has no " + token
                    + " token: this is not a BERT WordPiece vocab.txt (use the bundle's vocab.txt).");
        }
        return id;
    }

    public int vocabSize() {
        return vocab.size();
    }

    public int padId() {
        return padId;
    }

    public int clsId() {
        return clsId;
    }

    public int sepId() {
        return sepId;
    }

    /** WordPiece tokens of one text, without special tokens. */
    public List<String> tokenize(String text) {
        List<String> out = new ArrayList<String>();
        for (String word : preTokenize(normalize(text))) {
            wordPiece(word, out);
        }
        return out;
    }

    /**
     * [CLS] text [SEP] (pair [SEP]) truncated longest-first to {@code maxLength} tokens,
     * not padded (see {@link Encoding#padded}).
     *
     * @param pair the second segment, or null
     */
    public Encoding encode(String text, String pair, int maxLength) {
        if (text == null) {
            throw new IllegalArgumentException("text is null; pass a string (empty is allowed).");
        }
        int added = pair == null ? 2 : 3;
        if (maxLength < added) {
            throw new IllegalArgumentException("maxLength=" + maxLength + " leaves no room for the " + added
                    + " special tokens; use at least " + added + " (the bundle's max_length).");
        }
        List<Integer> first = ids(text);
        List<Integer> second = pair == null ? null : ids(pair);
        int budget = maxLength - added;
        int n1 = first.size();
        int n2 = second == null ? 0 : second.size();
        boolean truncated = n1 + n2 > budget;
        if (truncated) {
            if (second == null) {
                n1 = budget;
            } else {
                // HF's LongestFirst: the shorter keeps its length if it fits in half the budget,
                // else both get half (the longer one the odd token).
                boolean swap = n1 > n2;
                int shorter = Math.min(n1, n2);
                int longer;
                if (shorter > budget / 2) {
                    shorter = budget / 2;
                    longer = shorter + budget % 2;
                } else {
                    longer = budget - shorter;
                }
                n1 = swap ? longer : shorter;
                n2 = swap ? shorter : longer;
            }
        }
        int total = n1 + n2 + added;
        int[] inputIds = new int[total];
        int[] typeIds = new int[total];
        int k = 0;
        inputIds[k++] = clsId;
        for (int i = 0; i < n1; i++) {
            inputIds[k++] = first.get(i);
        }
        inputIds[k++] = sepId;
        if (second != null) {
            for (int i = 0; i < n2; i++) {
                typeIds[k] = 1;
                inputIds[k++] = second.get(i);
            }
            typeIds[k] = 1;
            inputIds[k++] = sepId;
        }
        int[] mask = new int[total];
        java.util.Arrays.fill(mask, 1);
        return new Encoding(inputIds, mask, typeIds, truncated, padId);
    }

    /** A WordPiece with the characters of the original text it came from: [start, end) in UTF-16 units. */
    public static final class Piece {
        public final String token;
        public final int id;
        public final int start;
        public final int end;

        Piece(String token, int id, int start, int end) {
            this.token = token;
            this.id = id;
            this.start = start;
            this.end = end;
        }
    }

    /**
     * The WordPieces of {@code text} (as {@link #tokenize}) with each one's span in
     * {@code text}, as HF's offset mapping gives it: normalization works per code point, so
     * every normalized character knows the original character it came from; a piece covers
     * its first character's start to its last one's end; a word that becomes [UNK] covers
     * the whole word.
     */
    public List<Piece> tokenizeWithOffsets(String text) {
        // Normalized code points, each with its source character's [start, end).
        List<int[]> chars = new ArrayList<int[]>();  // {codePoint, start, end}
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (!(cp == 0 || cp == 0xFFFD || isControl(cp))) {
                String normalized = normalize(new String(Character.toChars(cp)));
                for (int k = 0; k < normalized.length(); ) {
                    int out = normalized.codePointAt(k);
                    k += Character.charCount(out);
                    chars.add(new int[] {out, i, next});
                }
            }
            i = next;
        }
        List<Piece> pieces = new ArrayList<Piece>();
        List<int[]> word = new ArrayList<int[]>();
        for (int[] c : chars) {
            if (isWhitespace(c[0]) || isPunctuation(c[0])) {
                wordPieceWithOffsets(word, pieces);
                word.clear();
                if (!isWhitespace(c[0])) {
                    word.add(c);
                    wordPieceWithOffsets(word, pieces);
                    word.clear();
                }
            } else {
                word.add(c);
            }
        }
        wordPieceWithOffsets(word, pieces);
        return pieces;
    }

    private void wordPieceWithOffsets(List<int[]> word, List<Piece> out) {
        if (word.isEmpty()) {
            return;
        }
        int[] cps = new int[word.size()];
        for (int k = 0; k < cps.length; k++) {
            cps[k] = word.get(k)[0];
        }
        List<String> tokens = new ArrayList<String>();
        wordPiece(new String(cps, 0, cps.length), tokens);
        int from = word.get(0)[1];
        int to = word.get(word.size() - 1)[2];
        if (tokens.size() == 1 && "[UNK]".equals(tokens.get(0))) {
            out.add(new Piece("[UNK]", unkId, from, to));
            return;
        }
        int at = 0;  // code points of the word consumed so far
        for (String token : tokens) {
            String body = token.startsWith("##") && at > 0 ? token.substring(2) : token;
            int length = body.codePointCount(0, body.length());
            out.add(new Piece(token, vocab.get(token), word.get(at)[1], word.get(at + length - 1)[2]));
            at += length;
        }
    }

    private List<Integer> ids(String text) {
        List<String> tokens = tokenize(text);
        List<Integer> ids = new ArrayList<Integer>(tokens.size());
        for (String token : tokens) {
            Integer id = vocab.get(token);
            ids.add(id == null ? unkId : id);
        }
        return ids;
    }

    // --- normalization (HF BertNormalizer) --------------------------------------------
    String normalize(String text) {
        StringBuilder cleaned = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                continue;
            }
            if (isWhitespace(cp)) {
                cleaned.append(' ');
            } else if (isChineseChar(cp)) {
                cleaned.append(' ').appendCodePoint(cp).append(' ');
            } else {
                cleaned.appendCodePoint(cp);
            }
        }
        String s = cleaned.toString();
        if (stripAccents) {
            String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
            StringBuilder kept = new StringBuilder(nfd.length());
            for (int i = 0; i < nfd.length(); ) {
                int cp = nfd.codePointAt(i);
                i += Character.charCount(cp);
                if (Character.getType(cp) != Character.NON_SPACING_MARK) {
                    kept.appendCodePoint(cp);
                }
            }
            s = kept.toString();
        }
        if (doLowerCase) {
            // Per code point, as HF does (String.toLowerCase on the whole text would apply
            // the context-dependent final-sigma rule, which HF does not).
            StringBuilder lower = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                i += Character.charCount(cp);
                lower.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
            }
            s = lower.toString();
        }
        return s;
    }

    /** Unicode White_Space (Rust's char::is_whitespace), which HF uses. */
    static boolean isWhitespace(int cp) {
        switch (cp) {
            case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
            case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
                return true;
            default:
                return cp >= 0x2000 && cp <= 0x200A;
        }
    }

    /**
     * Categories Cc, Cf, Co, Cs except tab, newline and carriage return. Unassigned code
     * points (Cn) stay, as in HF (they become [UNK]); the golden test pins this.
     */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        switch (Character.getType(cp)) {
            case Character.CONTROL: case Character.FORMAT: case Character.PRIVATE_USE: case Character.SURROGATE:
                return true;
            default:
                return false;
        }
    }

    /** The CJK Unified Ideograph blocks BERT splits into single characters. */
    static boolean isChineseChar(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    /** ASCII punctuation (incl. $+<=>^`|~) or Unicode category P*. */
    static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION: case Character.DASH_PUNCTUATION:
            case Character.START_PUNCTUATION: case Character.END_PUNCTUATION:
            case Character.INITIAL_QUOTE_PUNCTUATION: case Character.FINAL_QUOTE_PUNCTUATION:
            case Character.OTHER_PUNCTUATION:
                return true;
            default:
                return false;
        }
    }

    // --- pre-tokenization (HF BertPreTokenizer) ----------------------------------------
    static List<String> preTokenize(String text) {
        List<String> words = new ArrayList<String>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (isWhitespace(cp) || isPunctuation(cp)) {
                if (current.length() > 0) {
                    words.add(current.toString());
                    current.setLength(0);
                }
                if (!isWhitespace(cp)) {
                    words.add(new String(Character.toChars(cp)));
                }
            } else {
                current.appendCodePoint(cp);
            }
        }
        if (current.length() > 0) {
            words.add(current.toString());
        }
        return words;
    }

    // --- WordPiece ---------------------------------------------------------------------
    private void wordPiece(String word, List<String> out) {
        int[] cps = new int[word.codePointCount(0, word.length())];
        for (int i = 0, k = 0; i < word.length(); k++) {  // no String.codePoints(): it needs API 24
            cps[k] = word.codePointAt(i);
            i += Character.charCount(cps[k]);
        }
        if (cps.length > MAX_INPUT_CHARS_PER_WORD) {
            out.add("[UNK]");
            return;
        }
        List<String> pieces = new ArrayList<String>();
        int start = 0;
        while (start < cps.length) {
            int end = cps.length;
            String found = null;
            while (start < end) {
                String piece = new String(cps, start, end - start);
                if (start > 0) {
                    piece = "##" + piece;
                }
                if (vocab.containsKey(piece)) {
                    found = piece;
                    break;
                }
                end--;
            }
            if (found == null) {
                out.add("[UNK]");
                return;
            }
            pieces.add(found);
            start = end;
        }
        out.addAll(pieces);
    }
}
