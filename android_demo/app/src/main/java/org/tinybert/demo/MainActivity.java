package org.tinybert.demo;

import android.content.Intent;
import android.os.Bundle;
import android.util.Log;
import android.view.View;
import android.widget.Button;
import android.widget.EditText;
import android.widget.TextView;
import java.util.Locale;
import org.tinybert.core.EngineChoice;
import org.tinybert.core.Prediction;
import org.tinybert.core.TextEngine;

/**
 * Classifies typed or sample text with the bundle in assets/bundle/ and shows the label,
 * its confidence and the time spent (tokenization and inference apart). A bundle of another
 * task kind opens its own screen: {@link QaActivity} (span), {@link TagActivity} (token).
 */
public class MainActivity extends WorkerActivity {
    private static final String TAG = "TinyBertDemo";

    private TextEngine classifier;
    private TextView result;
    private EditText input;

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        setContentView(R.layout.activity_main);
        input = (EditText) findViewById(R.id.input);
        result = (TextView) findViewById(R.id.result);
        final Button classify = (Button) findViewById(R.id.classify);
        classify.setOnClickListener(new View.OnClickListener() {
            @Override
            public void onClick(View v) {
                classifyInBackground(input.getText().toString());
            }
        });
        for (int id : new int[] {R.id.sample_1, R.id.sample_2, R.id.sample_3}) {
            final Button sample = (Button) findViewById(id);
            sample.setOnClickListener(new View.OnClickListener() {
                @Override
                public void onClick(View v) {
                    input.setText(sample.getText());
                    classifyInBackground(sample.getText().toString());
                }
            });
        }
        loadInBackground((TextView) findViewById(R.id.model_info));
    }

    /** Loads the engine; returns the line shown above the text box. */
    @Override
    protected String load(BundleFiles files) {
        Class<?> screen = "span".equals(files.spec.taskKind) ? QaActivity.class
                : "token".equals(files.spec.taskKind) ? TagActivity.class : null;
        if (screen != null) {  // a question answerer or a tagger: its own screen
            startActivity(new Intent(this, screen));
            finish();
            return "A " + files.spec.taskKind + "-level model: opening its screen.";
        }
        EngineChoice[] choice = new EngineChoice[1];
        classifier = EngineFactory.createText(this, files.model, files.spec, files.tokenizer, "auto", 1, choice);
        return String.format(Locale.US, "%s (%s, %.1f MB, test accuracy %s), %s — %s", files.modelPath,
                files.spec.variant, files.modelBytes / 1e6,
                files.spec.testAccuracy == null ? "n/a" : String.format(Locale.US, "%.1f%%", 100 * files.spec.testAccuracy),
                classifier.describe(), choice[0].reason);
    }

    private void classifyInBackground(final String text) {
        inBackground(new Work<String>() {
            @Override
            public String run() {
                return classifyText(text);
            }
        }, WorkerActivity.<String>textIn(result));
    }

    private String classifyText(String text) {
        if (classifier == null) {
            return "Not ready: " + loadError;
        }
        try {
            Prediction p = classifier.classify(text, null);
            if (p.numTokens < 0) {  // MediaPipe tokenizes inside: one time for both
                return String.format(Locale.US, "%s  (%.1f%%)\ntokenize + inference %.2f ms", p.label,
                        100 * p.confidence, p.inferenceMs);
            }
            return String.format(Locale.US, "%s  (%.1f%%)\n%d tokens%s, tokenize %.2f ms, inference %.2f ms",
                    p.label, 100 * p.confidence, p.numTokens, p.truncated ? " (truncated)" : "", p.tokenizeMs,
                    p.inferenceMs);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        } catch (RuntimeException e) {
            Log.e(TAG, "Inference failed", e);
            return "Inference failed: " + e.getMessage();
        }
    }

    @Override
    protected void onDestroy() {
        final TextEngine engine = classifier;
        if (engine != null) {
            lastInBackground(new Runnable() {
                @Override
                public void run() {
                    engine.close();
                }
            });
        }
        super.onDestroy();
    }
}
