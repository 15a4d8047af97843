package org.tinybert.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What a {@code .tflite} file carries besides its graph: the names of its metadata entries
 * (TFLite flatbuffer {@code Model.metadata}) and the files packed after it as a zip (the
 * TFLite metadata's associated files: vocab.txt, labels.txt). Read straight from the bytes
 * (a flatbuffer root table and a zip central directory), so the app can decide which
 * engine runs a model without loading a runtime, and the host JVM can test that decision.
 */
public final class TfliteModelInfo {
    /** The metadata entry MediaPipe Tasks and the TFLite Task Library read. */
    public static final String METADATA_NAME = "TFLITE_METADATA";
    private static final int MODEL_METADATA_FIELD = 6;  // schema.fbs: table Model { ..., metadata: [Metadata] }

    public final List<String> metadataNames;
    public final List<String> packedFiles;

    private TfliteModelInfo(List<String> metadataNames, List<String> packedFiles) {
        this.metadataNames = Collections.unmodifiableList(metadataNames);
        this.packedFiles = Collections.unmodifiableList(packedFiles);
    }

    /** True when the model has TFLite metadata and packs the vocabulary and labels MediaPipe needs. */
    public boolean carriesTextClassifierMetadata() {
        return metadataNames.contains(METADATA_NAME) && packedFiles.contains("vocab.txt")
                && packedFiles.contains("labels.txt");
    }

    /** Reads {@code model} (position and limit untouched). Not a TFLite file: IllegalArgumentException. */
    public static TfliteModelInfo read(ByteBuffer model) {
        ByteBuffer b = model.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.position(0);
        if (b.limit() < 8 || b.get(4) != 'T' || b.get(5) != 'F' || b.get(6) != 'L' || b.get(7) != '3') {
            throw new IllegalArgumentException("Not a TFLite model (no TFL3 identifier): export it with "
                    + "tinybert-tf export.");
        }
        List<String> names = new ArrayList<String>();
        int table = b.getInt(0);
        int vector = field(b, table, MODEL_METADATA_FIELD);
        if (vector != 0) {
            int count = b.getInt(vector);
            for (int i = 0; i < count; i++) {
                int element = vector + 4 + 4 * i;
                int entry = element + b.getInt(element);
                int name = field(b, entry, 0);  // table Metadata { name: string; buffer: uint; }
                if (name != 0) {
                    byte[] bytes = new byte[b.getInt(name)];
                    for (int k = 0; k < bytes.length; k++) {
                        bytes[k] = b.get(name + 4 + k);
                    }
                    names.add(new String(bytes, StandardCharsets.UTF_8));
                }
            }
        }
        return new TfliteModelInfo(names, zipNames(b));
    }

    /** Absolute position of an offset field's target (vector or string or table), or 0 if absent. */
    private static int field(ByteBuffer b, int table, int index) {
        int vtable = table - b.getInt(table);
        int vtableSize = b.getShort(vtable) & 0xffff;
        int slot = 4 + 2 * index;
        if (slot >= vtableSize) {
            return 0;
        }
        int offset = b.getShort(vtable + slot) & 0xffff;
        if (offset == 0) {
            return 0;
        }
        int at = table + offset;
        return at + b.getInt(at);
    }

    /** File names in a zip appended to the model (end-of-central-directory record, then entries). */
    private static List<String> zipNames(ByteBuffer b) {
        List<String> names = new ArrayList<String>();
        int end = -1;
        for (int i = b.limit() - 22; i >= Math.max(0, b.limit() - 22 - 65535); i--) {
            if (b.getInt(i) == 0x06054b50) {
                end = i;
                break;
            }
        }
        if (end < 0) {
            return names;
        }
        int entries = b.getShort(end + 10) & 0xffff;
        int size = b.getInt(end + 12);
        // The directory sits just before the end record; its stored offset is relative to the
        // zip's own start, which is not the file's start when the zip follows the flatbuffer.
        int at = end - size;
        for (int i = 0; i < entries && at + 46 <= end && b.getInt(at) == 0x02014b50; i++) {
            int nameLength = b.getShort(at + 28) & 0xffff;
            int extra = b.getShort(at + 30) & 0xffff;
            int comment = b.getShort(at + 32) & 0xffff;
            byte[] bytes = new byte[nameLength];
            for (int k = 0; k < nameLength; k++) {
                bytes[k] = b.get(at + 46 + k);
            }
            names.add(new String(bytes, StandardCharsets.UTF_8));
            at += 46 + nameLength + extra + comment;
        }
        return names;
    }
}
