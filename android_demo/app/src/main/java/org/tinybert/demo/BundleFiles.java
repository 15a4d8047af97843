package org.tinybert.demo;

import android.content.Context;
import android.content.res.AssetFileDescriptor;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import org.tinybert.core.BertTokenizer;
import org.tinybert.core.BundleSpec;

/** Reads a bundle (bundle.json, vocab.txt, model.tflite) from the APK's assets or from a directory. */
final class BundleFiles {
    static final String ASSET_DIR = "bundle";

    final BundleSpec spec;
    final BertTokenizer tokenizer;
    final MappedByteBuffer model;
    final String modelPath;
    final long modelBytes;

    private BundleFiles(BundleSpec spec, BertTokenizer tokenizer, MappedByteBuffer model, String modelPath,
                        long modelBytes) {
        this.spec = spec;
        this.tokenizer = tokenizer;
        this.model = model;
        this.modelPath = modelPath;
        this.modelBytes = modelBytes;
    }

    /** The bundle packaged under assets/bundle/ (see android_demo/README.md). */
    static BundleFiles fromAssets(Context context) throws IOException {
        BundleSpec spec;
        try {
            spec = BundleSpec.parse(read(context.getAssets().open(ASSET_DIR + "/bundle.json")));
        } catch (IOException e) {
            throw new IOException("No bundle in the APK (assets/bundle/bundle.json): copy the output of "
                    + "`tinybert-tf export` (its bundle/ folder) into app/src/main/assets/ and rebuild.", e);
        }
        BertTokenizer tokenizer = new BertTokenizer(
                BertTokenizer.readVocab(context.getAssets().open(ASSET_DIR + "/" + spec.vocabFile)),
                spec.doLowerCase, spec.stripAccents);
        String asset = ASSET_DIR + "/" + spec.modelFile;
        AssetFileDescriptor fd;
        try {
            fd = context.getAssets().openFd(asset);
        } catch (IOException e) {
            throw new IOException(asset + " is compressed in the APK or missing; LiteRT maps it directly, so "
                    + "keep `noCompress \"tflite\"` in app/build.gradle.", e);
        }
        FileChannel channel = new FileInputStream(fd.getFileDescriptor()).getChannel();
        MappedByteBuffer model = channel.map(FileChannel.MapMode.READ_ONLY, fd.getStartOffset(), fd.getDeclaredLength());
        return new BundleFiles(spec, tokenizer, model, "assets/" + asset, fd.getDeclaredLength());
    }

    /** A bundle pushed to the device (e.g. /data/local/tmp/tinybert by `tinybert-tf bench-device`). */
    static BundleFiles fromDirectory(File dir, File modelFile) throws IOException {
        File json = new File(dir, "bundle.json");
        BundleSpec spec = json.isFile() ? BundleSpec.parse(read(new FileInputStream(json))) : null;
        BertTokenizer tokenizer = null;
        if (spec != null) {
            tokenizer = new BertTokenizer(BertTokenizer.readVocab(new FileInputStream(new File(dir, spec.vocabFile))),
                    spec.doLowerCase, spec.stripAccents);
        }
        if (!modelFile.isFile()) {
            throw new IOException("No model at " + modelFile + ": push it first (tinybert-tf bench-device does).");
        }
        RandomAccessFile file = new RandomAccessFile(modelFile, "r");
        MappedByteBuffer model = file.getChannel().map(FileChannel.MapMode.READ_ONLY, 0, file.length());
        return new BundleFiles(spec, tokenizer, model, modelFile.getPath(), file.length());
    }

    static String read(InputStream in) throws IOException {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
            return new String(out.toByteArray(), StandardCharsets.UTF_8);
        } finally {
            in.close();
        }
    }
}
