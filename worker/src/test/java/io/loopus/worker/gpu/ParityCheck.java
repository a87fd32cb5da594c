package io.loopus.worker.gpu;

/**
 * One comparison of a CUDA result with the CPU backend's.
 *
 * @param error the largest absolute difference divided by the largest magnitude of the CPU result
 *              (relative to the tensor's scale: element-wise ratios blow up at values near zero)
 * @param bound what the check allows
 */
public record ParityCheck(String name, double error, double bound) {
    public boolean passed() { return error <= bound; } // NaN fails

    @Override public String toString() {
        return String.format("%-6s %-58s error %.2e (bound %.0e)", passed() ? "ok" : "FAIL", name, error, bound);
    }

    /** max |got - want| / max |want| (1e-30 floor); NaN when either holds a NaN or an infinity. */
    public static double error(float[] got, float[] want) {
        if (got.length != want.length) throw new IllegalArgumentException(got.length + " values against " + want.length);
        double diff = 0, scale = 1e-30;
        for (int i = 0; i < got.length; i++) {
            if (!Float.isFinite(got[i]) || !Float.isFinite(want[i])) return Double.NaN;
            diff = Math.max(diff, Math.abs((double) got[i] - want[i]));
            scale = Math.max(scale, Math.abs((double) want[i]));
        }
        return diff / scale;
    }
}
