package org.tinybert.core;

import java.util.Arrays;

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
        int previous = -1;
        for (int position = 0; position < wordIds.length; position++) {
            int word = wordIds[position];
            if (word >= 0 && word != previous) {
                if (logits[position].length != tags.length) {
                    throw new IllegalArgumentException("Position " + position + " has " + logits[position].length
                            + " scores for " + tags.length + " tags.");
                }
                out[word] = tags[argmax(logits[position])];
            }
            previous = word;
        }
        return out;
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
