package org.tinybert.demo;

import android.app.Activity;
import android.os.Bundle;
import android.os.Handler;
import android.os.HandlerThread;
import android.util.Log;
import android.widget.TextView;

/**
 * What the demo's screens share: one background thread that loads the bundle and runs the
 * model (the UI thread only shows results), and the status line's load message. A screen
 * says how to load its task ({@link #load}) and posts work with {@link #inBackground}.
 */
abstract class WorkerActivity extends Activity {
    /** Work for the background thread; its result is shown on the UI thread. */
    interface Work<T> {
        T run();
    }

    /** Shows a result on the UI thread. */
    interface Show<T> {
        void show(T result);
    }

    private HandlerThread worker;
    private Handler background;
    /** Why the model is not ready (null once it loaded). */
    protected String loadError = "still loading";

    @Override
    protected void onCreate(Bundle savedInstanceState) {
        super.onCreate(savedInstanceState);
        worker = new HandlerThread(getClass().getSimpleName() + "-inference");
        worker.start();
        background = new Handler(worker.getLooper());
    }

    /** Loads the bundle on the background thread and shows {@link #load}'s line in {@code info}. */
    protected void loadInBackground(final TextView info) {
        inBackground(new Work<String>() {
            @Override
            public String run() {
                try {
                    String line = load(BundleFiles.fromAssets(WorkerActivity.this));
                    loadError = null;
                    return line;
                } catch (Exception e) {
                    Log.e(getClass().getSimpleName(), "Could not load the model", e);
                    loadError = e.getMessage();
                    return "Not ready: " + loadError;
                }
            }
        }, textIn(info));
    }

    /** Shows a result as the text of {@code view}. */
    protected static <T extends CharSequence> Show<T> textIn(final TextView view) {
        return new Show<T>() {
            @Override
            public void show(T text) {
                view.setText(text);
            }
        };
    }

    /** Builds the screen's model from the bundle (background thread); returns the status line. */
    protected abstract String load(BundleFiles files) throws Exception;

    protected <T> void inBackground(final Work<T> work, final Show<T> show) {
        background.post(new Runnable() {
            @Override
            public void run() {
                final T result = work.run();
                runOnUiThread(new Runnable() {
                    @Override
                    public void run() {
                        show.show(result);
                    }
                });
            }
        });
    }

    /** Runs on the background thread after everything posted before (e.g. closing an engine). */
    protected void lastInBackground(Runnable work) {
        background.post(work);
    }

    @Override
    protected void onDestroy() {
        worker.quitSafely();
        super.onDestroy();
    }
}
