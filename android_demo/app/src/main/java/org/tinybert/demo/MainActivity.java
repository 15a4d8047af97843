package org.tinybert.demo;

import android.app.Activity;
import android.os.Bundle;
import android.os.Handler;
import android.os.HandlerThread;
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
 * its confidence and the time spent (tokenization and inference apart). The model runs on
 * a background thread; the UI thread only shows results.
 */
public class MainActivity extends Activity {
    private static final String TAG = "TinyBertDemo";

    private TextEngine classifier;
    private String loadError;
    private HandlerThread worker;
    private Handler background;
    private TextView result;
    private EditText input;

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        setContentView(R.layout.activity_main);
        input = (EditText) findViewById(R.id.input);
        result = (TextView) findViewById(R.id.result);
        final TextView info = (TextView) findViewById(R.id.model_info);
        worker = new HandlerThread("inference");
        worker.start();
        background = new Handler(worker.getLooper());

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
        background.post(new Runnable() {
            @Override
            public void run() {
                final String text = load();
                runOnUiThread(new Runnable() {
                    @Override
                    public void run() {
                        info.setText(text);
                    }
                });
            }
        });
    }

    /** Loads the bundle and the engine; returns the line shown above the text box. */
    private String load() {
        try {
            BundleFiles files = BundleFiles.fromAssets(this);
            if ("span".equals(files.spec.taskKind)) {  // a question answerer: its own screen
                startActivity(new android.content.Intent(this, QaActivity.class));
                finish();
                return "A question answerer: opening the QA screen.";
            }
            EngineChoice[] choice = new EngineChoice[1];
            classifier = EngineFactory.createText(this, files.model, files.spec, files.tokenizer, "auto", 1, choice);
            return String.format(Locale.US, "%s (%s, %.1f MB, test accuracy %s), %s — %s", files.modelPath,
                    files.spec.variant, files.modelBytes / 1e6,
                    files.spec.testAccuracy == null ? "n/a" : String.format(Locale.US, "%.1f%%", 100 * files.spec.testAccuracy),
                    classifier.describe(), choice[0].reason);
        } catch (Exception e) {
            Log.e(TAG, "Could not load the model", e);
            loadError = e.getMessage();
            return "Not ready: " + loadError;
        }
    }

    private void classifyInBackground(final String text) {
        background.post(new Runnable() {
            @Override
            public void run() {
                final String shown = classifyText(text);
                runOnUiThread(new Runnable() {
                    @Override
                    public void run() {
                        result.setText(shown);
                    }
                });
            }
        });
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
            background.post(new Runnable() {
                @Override
                public void run() {
                    engine.close();
                }
            });
        }
        worker.quitSafely();
        super.onDestroy();
    }
}
