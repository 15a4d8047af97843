package org.tinybert.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Token-classification post-processing, by the rule {@code tinybert_tf.data.word_predictions}
 * uses (Hugging Face's token-classification examples): a word's tag is the argmax of the
 * logits at its first WordPiece; a word cut off by max_length gets {@code fill}.
 */
public final class TagDecoder {
    private TagDecoder() {
    }

    /**
     * @param logits per position, one score per tag
     * @param wordIds per position, the word it came from (-1: [CLS], [SEP], padding)
     * @param tags tag names in id order
     * @param numWords words in the sentence
     */
    public static String[] wordTags(float[][] logits, int[] wordIds, String[] tags, int numWords, String fill) {
        if (logits.length != wordIds.length) {
            throw new IllegalArgumentException(logits.length + " positions of logits but " + wordIds.length
                    + " word ids.");
        }
        String[] out = new String[numWords];
        Arrays.fill(out, fill);
        int[] first = firstPieces(wordIds, numWords);
        for (int word = 0; word < numWords; word++) {
            int position = first[word];
            if (position >= 0) {
                if (logits[position].length != tags.length) {
                    throw new IllegalArgumentException("Position " + position + " has " + logits[position].length
                            + " scores for " + tags.length + " tags.");
                }
                out[word] = tags[argmax(logits[position])];
            }
        }
        return out;
    }

    /**
     * Each word's first WordPiece: the position its tag is read at, -1 for a word cut off by
     * max_length ({@code data.tagging.first_pieces}' rule).
     */
    public static int[] firstPieces(int[] wordIds, int numWords) {
        int[] first = new int[numWords];
        Arrays.fill(first, -1);
        int previous = -1;
        for (int position = 0; position < wordIds.length; position++) {
            int word = wordIds[position];
            if (word >= 0 && word != previous) {
                first[word] = position;
            }
            previous = word;
        }
        return first;
    }

    /** A sentence's model inputs and, per position, the word it came from (-1: [CLS], [SEP]). */
    public static final class WordEncoding {
        public final Encoding encoding;
        public final int[] wordIds;

        WordEncoding(Encoding encoding, int[] wordIds) {
            this.encoding = encoding;
            this.wordIds = wordIds;
        }
    }

    /**
     * [CLS] pieces of each word [SEP], cut to {@code maxLength} (a cut word loses its tag: it
     * reads as {@code fill}), as HF tokenizers encode pre-split words
     * ({@code is_split_into_words=True}, what {@code data.align_tags} uses): each word is
     * tokenized on its own.
     */
    public static WordEncoding encodeWords(BertTokenizer tokenizer, List<String> words, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength=" + maxLength + " leaves no room for [CLS] and [SEP].");
        }
        List<Integer> ids = new ArrayList<Integer>();
        List<Integer> owners = new ArrayList<Integer>();
        boolean truncated = false;
        for (int w = 0; w < words.size() && !truncated; w++) {
            for (BertTokenizer.Piece piece : tokenizer.tokenizeWithOffsets(words.get(w))) {
                if (ids.size() == maxLength - 2) {
                    truncated = true;
                    break;
                }
                ids.add(piece.id);
                owners.add(w);
            }
        }
        int n = ids.size() + 2;
        int[] inputIds = new int[n];
        int[] wordIds = new int[n];
        inputIds[0] = tokenizer.clsId();
        wordIds[0] = -1;
        for (int k = 0; k < ids.size(); k++) {
            inputIds[k + 1] = ids.get(k);
            wordIds[k + 1] = owners.get(k);
        }
        inputIds[n - 1] = tokenizer.sepId();
        wordIds[n - 1] = -1;
        int[] mask = new int[n];
        Arrays.fill(mask, 1);
        return new WordEncoding(new Encoding(inputIds, mask, new int[n], truncated, tokenizer.padId()), wordIds);
    }

    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
