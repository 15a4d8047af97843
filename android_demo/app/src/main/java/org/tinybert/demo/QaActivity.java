package org.tinybert.demo;

import android.graphics.Color;
import android.os.Bundle;
import android.text.SpannableString;
import android.text.Spanned;
import android.text.style.BackgroundColorSpan;
import android.util.Log;
import android.view.View;
import android.widget.Button;
import android.widget.EditText;
import android.widget.TextView;
import java.util.Locale;
import org.tinybert.core.QuestionAnswerer;

/**
 * Extractive QA, like TensorFlow's bert_qa example: a context and a question in, the answer
 * span highlighted in the context out, with the time spent (tokenization and inference
 * apart; a long context runs as several windows). The bundle in assets/bundle/ must hold a
 * question answerer (bundle.json task_kind "span").
 */
public class QaActivity extends WorkerActivity {
    private static final String TAG = "TinyBertQa";

    private QuestionAnswerer answerer;

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        setContentView(R.layout.activity_qa);
        final EditText context = (EditText) findViewById(R.id.qa_context);
        final EditText question = (EditText) findViewById(R.id.qa_question);
        final TextView answer = (TextView) findViewById(R.id.qa_answer);
        final TextView highlighted = (TextView) findViewById(R.id.qa_highlighted);
        ((Button) findViewById(R.id.qa_answer_button)).setOnClickListener(new View.OnClickListener() {
            @Override
            public void onClick(View v) {
                final String q = question.getText().toString();
                final String c = context.getText().toString();
                inBackground(new Work<Object>() {
                    @Override
                    public Object run() {
                        return answer(q, c);
                    }
                }, new Show<Object>() {
                    @Override
                    public void show(Object shown) {
                        if (shown instanceof QuestionAnswerer.Result) {
                            QaActivity.show((QuestionAnswerer.Result) shown, c, answer, highlighted);
                        } else {
                            answer.setText((String) shown);
                            highlighted.setText("");
                        }
                    }
                });
            }
        });
        loadInBackground((TextView) findViewById(R.id.qa_model_info));
    }

    @Override
    protected String load(BundleFiles files) {
        answerer = new QuestionAnswerer(files.spec, files.tokenizer, EngineFactory.createSpan(files.model,
                files.spec, 1));
        return String.format(Locale.US, "%s (%s, %.1f MB), windows of %d tokens", files.modelPath,
                files.spec.variant, files.modelBytes / 1e6, files.spec.maxLength);
    }

    /** A Result, or the message to show instead. */
    private Object answer(String question, String context) {
        if (answerer == null) {
            return "Not ready: " + loadError;
        }
        try {
            return answerer.answer(question, context);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        } catch (RuntimeException e) {
            Log.e(TAG, "Inference failed", e);
            return "Inference failed: " + e.getMessage();
        }
    }

    private static void show(QuestionAnswerer.Result r, String context, TextView answer, TextView highlighted) {
        if (r.start < 0) {
            answer.setText("No answer found in the text.");
            highlighted.setText(context);
            return;
        }
        answer.setText(String.format(Locale.US, "%s\n%d window(s), tokenize %.2f ms, inference %.2f ms", r.text,
                r.windows, r.tokenizeMs, r.inferenceMs));
        SpannableString marked = new SpannableString(context);
        marked.setSpan(new BackgroundColorSpan(Color.YELLOW), r.start, r.end, Spanned.SPAN_EXCLUSIVE_EXCLUSIVE);
        highlighted.setText(marked);
    }
}
