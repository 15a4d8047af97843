package org.tinybert.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Extractive-QA inputs as the Python side makes them ({@code tinybert_tf.data.prepare_qa_features},
 * i.e. HF tokenizers with {@code truncation="only_second"}, a stride and overflowing tokens):
 * the question cut to its first {@code maxQueryLength} WordPieces, then the context cut
 * into windows of {@code [CLS] question [SEP] context piece [SEP]}, consecutive windows
 * sharing {@code docStride} context tokens. Each window knows, per position, the context
 * characters it covers (-1 outside the context), which {@link SpanSearch} reads.
 */
public final class QaEncoder {
    private QaEncoder() {
    }

    /** One window: the model inputs and, per position, the context characters [start, end) or -1. */
    public static final class QaWindow {
        public final Encoding encoding;
        public final int[] charStart;
        public final int[] charEnd;

        QaWindow(Encoding encoding, int[] charStart, int[] charEnd) {
            this.encoding = encoding;
            this.charStart = charStart;
            this.charEnd = charEnd;
        }

        /** This window with the model's scores, for {@link SpanSearch#best}. */
        public SpanSearch.Window withScores(float[] startLogits, float[] endLogits) {
            return new SpanSearch.Window(startLogits, endLogits, charStart, charEnd);
        }
    }

    public static List<QaWindow> encode(BertTokenizer tokenizer, String question, String context, int maxLength,
                                        int docStride, int maxQueryLength) {
        if (maxQueryLength + 3 >= maxLength) {
            throw new IllegalArgumentException("maxQueryLength=" + maxQueryLength + " leaves no room for context in "
                    + "maxLength=" + maxLength + ".");
        }
        String q = question.trim();
        List<BertTokenizer.Piece> qPieces = tokenizer.tokenizeWithOffsets(q);
        if (qPieces.size() > maxQueryLength) {  // cut the text after piece maxQueryLength, then read it again
            qPieces = tokenizer.tokenizeWithOffsets(q.substring(0, qPieces.get(maxQueryLength - 1).end));
        }
        List<BertTokenizer.Piece> cPieces = tokenizer.tokenizeWithOffsets(context);
        int budget = maxLength - qPieces.size() - 3;
        if (docStride >= budget) {
            throw new IllegalArgumentException("docStride=" + docStride + " must be below the context room of a window ("
                    + budget + " tokens at maxLength=" + maxLength + ").");
        }
        List<QaWindow> out = new ArrayList<QaWindow>();
        for (int start = 0; ; start += budget - docStride) {
            int stop = Math.min(start + budget, cPieces.size());
            int n = qPieces.size() + (stop - start) + 3;
            int[] ids = new int[maxLength];
            int[] types = new int[maxLength];
            int[] mask = new int[maxLength];
            int[] charStart = new int[maxLength];
            int[] charEnd = new int[maxLength];
            java.util.Arrays.fill(ids, tokenizer.padId());
            java.util.Arrays.fill(charStart, -1);
            java.util.Arrays.fill(charEnd, -1);
            int k = 0;
            ids[k++] = tokenizer.clsId();
            for (BertTokenizer.Piece p : qPieces) {
                ids[k++] = p.id;
            }
            ids[k++] = tokenizer.sepId();
            for (int c = start; c < stop; c++) {
                BertTokenizer.Piece p = cPieces.get(c);
                types[k] = 1;
                charStart[k] = p.start;
                charEnd[k] = p.end;
                ids[k++] = p.id;
            }
            types[k] = 1;
            ids[k++] = tokenizer.sepId();
            java.util.Arrays.fill(mask, 0, n, 1);
            out.add(new QaWindow(new Encoding(ids, mask, types, cPieces.size() > budget, tokenizer.padId()), charStart, charEnd));
            if (stop >= cPieces.size()) {
                return out;
            }
        }
    }
}
