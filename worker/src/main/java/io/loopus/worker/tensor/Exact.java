package io.loopus.worker.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * Vector operations whose results do not depend on how the JIT compiled them. The Vector API
 * leaves the order of {@code reduceLanes(ADD)} unspecified and computes {@code EXP} with a
 * different routine once C2 intrinsifies it, so logits drifted by ~1e-6 as a process warmed up.
 * These use only lane-wise IEEE adds, multiplies and bit operations in a fixed order, and each has
 * a scalar twin that gives the same bits, for loop tails.
 */
public final class Exact {
    private Exact() {}

    /** shuffle[k] moves lane i + 2^k into lane i: the steps of a fixed pairwise sum. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] FOLD = new VectorShuffle[Integer.numberOfTrailingZeros(Kernels.LANES)];

    static {
        for (int k = 0; k < FOLD.length; k++) {
            int step = 1 << k;
            FOLD[k] = VectorShuffle.fromOp(Kernels.F, i -> (i + step) % Kernels.LANES);
        }
    }

    /** Sum of the lanes as a fixed pairwise tree: lanes 2^k apart are added, widest apart last. */
    public static float sum(FloatVector v) {
        for (int k = 0; k < FOLD.length; k++) v = v.add(v.rearrange(FOLD[k]));
        return v.lane(0);
    }

    // exp(x) = 2^n * p(r), n = round(x / ln 2), r = x - n ln 2 (Cody-Waite split), p a degree-7
    // polynomial (Cephes' expf coefficients); within 2 ulp of Math.exp over the clamped range.
    private static final float HI = 88.3762626647949f, LO = -87.3365447504f; // 2^n stays a normal float
    private static final float LOG2E = 1.44269504088896341f, ROUND = 12582912f; // 1.5 * 2^23 rounds to integers
    private static final int ROUND_BITS = Float.floatToIntBits(ROUND);
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /** e^x lane by lane; inputs are clamped to [-87.3, 88.4] (below: ~1e-38 instead of 0). */
    public static FloatVector exp(FloatVector x) {
        x = x.max(LO).min(HI);
        FloatVector rounded = x.mul(LOG2E).add(ROUND); // its low mantissa bits now hold n
        FloatVector n = rounded.sub(ROUND);
        FloatVector r = x.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector r2 = r.mul(r);
        FloatVector p = r.mul(P0).add(P1).mul(r).add(P2).mul(r).add(P3).mul(r).add(P4).mul(r).add(P5)
                .mul(r2).add(r).add(1f);
        // 2^n from the bits of rounded (no float-to-int conversion: JDK 17 does not intrinsify it)
        IntVector scale = ((IntVector) rounded.reinterpretAsInts()).add(127 - ROUND_BITS).lanewise(VectorOperators.LSHL, 23);
        return p.mul(scale.reinterpretAsFloats());
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same bits. */
    public static float exp(float x) {
        x = Math.min(Math.max(x, LO), HI);
        float n = x * LOG2E + ROUND - ROUND;
        float r = x - n * LN2_HI - n * LN2_LO;
        float r2 = r * r;
        float p = ((((((r * P0 + P1) * r + P2) * r + P3) * r + P4) * r + P5) * r2 + r) + 1f;
        return p * Float.intBitsToFloat(((int) n + 127) << 23);
    }
}
