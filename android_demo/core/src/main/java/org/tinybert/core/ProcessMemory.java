package org.tinybert.core;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** This process's peak resident memory (VmHWM in /proc/self/status), as the host harness reports it. */
public final class ProcessMemory {
    private ProcessMemory() {
    }

    /** Megabytes (MiB), or null where /proc is not readable. */
    public static Double peakRssMb() {
        try {
            BufferedReader reader = new BufferedReader(
                    new InputStreamReader(new FileInputStream("/proc/self/status"), StandardCharsets.UTF_8));
            try {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.startsWith("VmHWM:")) {
                        String[] parts = line.trim().split("\\s+");
                        return Long.parseLong(parts[1]) / 1024.0;
                    }
                }
            } finally {
                reader.close();
            }
        } catch (IOException | NumberFormatException e) {
            return null;
        }
        return null;
    }
}
