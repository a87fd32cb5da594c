package io.loopus.worker.gpu;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One clear line for why CUDA (or cuBLAS) cannot be used. JCuda's load errors span dozens of lines
 * of nested stack traces; what a user needs is the library that is missing or the driver's error.
 */
final class CudaFailure {
    private static final Pattern MISSING_LIBRARY = Pattern.compile("(lib[\\w.+-]+\\.so[\\w.]*): cannot open shared object file");

    private CudaFailure() {}

    static String reason(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (e instanceof LinkageError) {
            Matcher m = MISSING_LIBRARY.matcher(message);
            String library = null;
            while (m.find()) library = m.group(1); // the last one: the dependency the JNI library needed
            if (library != null) return library + " not found (" + hint(library) + ")";
            return e.getClass().getSimpleName() + ": " + firstLine(message);
        }
        return switch (message) {
            case "cudaErrorInsufficientDriver", "CUDA_ERROR_NO_DEVICE" ->
                    message + " (no NVIDIA driver, or one older than CUDA 12)";
            case "cudaErrorNoDevice" -> "cudaErrorNoDevice (the driver sees no GPU)";
            default -> e.getClass().getSimpleName() + ": " + firstLine(message);
        };
    }

    private static String hint(String library) {
        if (library.startsWith("libcuda.")) return "no NVIDIA driver on this machine";
        if (library.startsWith("libcublas")) return "no CUDA 12 cuBLAS on the library path";
        if (library.startsWith("libnvrtc")) return "no CUDA 12 NVRTC on the library path";
        return "a CUDA library is missing";
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
