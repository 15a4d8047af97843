package org.tinybert.demo;

import android.graphics.Color;
import android.os.Bundle;
import android.text.SpannableStringBuilder;
import android.text.Spanned;
import android.text.style.ForegroundColorSpan;
import android.text.style.RelativeSizeSpan;
import android.util.Log;
import android.view.View;
import android.widget.Button;
import android.widget.EditText;
import android.widget.TextView;
import java.util.Locale;
import org.tinybert.core.TextTagger;

/**
 * Tagging (part-of-speech, named entities): text in, each word followed by its tag out, with
 * the time spent. The bundle in assets/bundle/ must hold a tagger (bundle.json task_kind
 * "token"); words are split and tagged as {@code pipeline("token-classification")} does.
 */
public class TagActivity extends WorkerActivity {
    private static final String TAG = "TinyBertTagger";
    private static final int[] PALETTE = {0xFF1565C0, 0xFF2E7D32, 0xFFC62828, 0xFF6A1B9A, 0xFFEF6C00, 0xFF00838F};

    private TextTagger tagger;

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        setContentView(R.layout.activity_tag);
        final EditText input = (EditText) findViewById(R.id.tag_input);
        final TextView result = (TextView) findViewById(R.id.tag_result);
        ((Button) findViewById(R.id.tag_button)).setOnClickListener(new View.OnClickListener() {
            @Override
            public void onClick(View v) {
                final String text = input.getText().toString();
                inBackground(new Work<CharSequence>() {
                    @Override
                    public CharSequence run() {
                        return tag(text);
                    }
                }, WorkerActivity.<CharSequence>textIn(result));
            }
        });
        loadInBackground((TextView) findViewById(R.id.tag_model_info));
    }

    @Override
    protected String load(BundleFiles files) {
        tagger = new TextTagger(files.spec, files.tokenizer, EngineFactory.createToken(files.model, files.spec, 1));
        return String.format(Locale.US, "%s (%s, %.1f MB), %d tags, up to %d tokens", files.modelPath,
                files.spec.variant, files.modelBytes / 1e6, files.spec.labels.size(), files.spec.maxLength);
    }

    /** Each word with its tag after it (small, coloured by tag), then the timings; or the message instead. */
    private CharSequence tag(String text) {
        if (tagger == null) {
            return "Not ready: " + loadError;
        }
        TextTagger.Result r;
        try {
            r = tagger.tag(text);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        } catch (RuntimeException e) {
            Log.e(TAG, "Inference failed", e);
            return "Inference failed: " + e.getMessage();
        }
        SpannableStringBuilder out = new SpannableStringBuilder();
        for (TextTagger.Word w : r.words) {
            out.append(w.text).append('\u2009');
            String label = w.tag == null ? "(cut off)" : w.tag;
            int at = out.length();
            out.append(label);
            int color = w.tag == null ? Color.GRAY : PALETTE[Math.abs(w.tag.hashCode()) % PALETTE.length];
            out.setSpan(new ForegroundColorSpan(color), at, out.length(), Spanned.SPAN_EXCLUSIVE_EXCLUSIVE);
            out.setSpan(new RelativeSizeSpan(0.7f), at, out.length(), Spanned.SPAN_EXCLUSIVE_EXCLUSIVE);
            out.append("  ");
        }
        out.append(String.format(Locale.US, "\n\n%d words, %d tokens%s, tokenize %.2f ms, inference %.2f ms",
                r.words.size(), r.numTokens, r.truncated ? " (truncated: the last words have no tag)" : "",
                r.tokenizeMs, r.inferenceMs));
        return out;
    }
}
