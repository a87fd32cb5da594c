package io.loopus.worker.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API inner loops shared by every weight type.
 *
 * <p>Every dot product here accumulates in the same order: one vector accumulator per (row, token)
 * pair over full vectors, a lane reduction, then the scalar tail. The single-token and the blocked
 * multi-token kernels therefore give bit-identical results, so a sequence decodes to the same
 * tokens alone or inside any batch.
 */
public final class Kernels {
    private Kernels() {}

    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    public static final int LANES = F.length();

    /** Canonical dot product of a[ao..ao+n) and b[bo..bo+n). */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < bound; i += LANES) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float sum = Exact.sum(acc);
        for (int i = bound; i < n; i++) sum += a[ao + i] * b[bo + i];
        return sum;
    }

    /** bf16 lanes to float lanes: the bits shifted into the high half. */
    static FloatVector bf16Vector(short[] w, int off) {
        IntVector bits = (IntVector) ShortVector.fromArray(S, w, off).convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** IEEE half lanes to float lanes (exact, incl. subnormals, infinities and NaN). */
    static FloatVector f16Vector(short[] w, int off) {
        IntVector h = (IntVector) ShortVector.fromArray(S, w, off).convertShape(VectorOperators.S2I, I, 0);
        IntVector abs = h.and(0x7fff);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector magnitude = abs.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        IntVector infNan = abs.lanewise(VectorOperators.LSHL, 13).or(0x7f800000);
        IntVector bits = magnitude.blend(infNan, abs.compare(VectorOperators.GE, 0x7c00));
        return bits.or(sign).reinterpretAsFloats();
    }

    /** bf16 or IEEE-half lanes to float lanes. */
    static FloatVector halfVector(short[] w, int off, boolean bf16) {
        return bf16 ? bf16Vector(w, off) : f16Vector(w, off);
    }

    static float halfToFloat(short h, boolean bf16) {
        return bf16 ? HalfFloats.bf16ToFloat(h) : HalfFloats.f16ToFloat(h);
    }

    /** Canonical dot product of 16-bit weights (bf16 or IEEE half) with floats. */
    public static float dotHalf(short[] w, int wo, float[] x, int xo, int n, boolean bf16) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < bound; i += LANES) {
            acc = halfVector(w, wo + i, bf16).fma(FloatVector.fromArray(F, x, xo + i), acc);
        }
        return tailHalf(w, wo, x, xo, bound, n, bf16, Exact.sum(acc));
    }

    public static void bf16ToFloat(short[] w, int wo, float[] dst, int dstOff, int n) {
        int bound = F.loopBound(n);
        for (int i = 0; i < bound; i += LANES) bf16Vector(w, wo + i).intoArray(dst, dstOff + i);
        for (int i = bound; i < n; i++) dst[dstOff + i] = HalfFloats.bf16ToFloat(w[wo + i]);
    }

    public static void f16ToFloat(short[] w, int wo, float[] dst, int dstOff, int n) {
        int bound = F.loopBound(n);
        for (int i = 0; i < bound; i += LANES) f16Vector(w, wo + i).intoArray(dst, dstOff + i);
        for (int i = bound; i < n; i++) dst[dstOff + i] = HalfFloats.f16ToFloat(w[wo + i]);
    }

    /**
     * out[t*outStride + j] = dot(w row j, x row t) for 4 weight rows (given by offsets into w)
     * and tokens t in [t0, t1), two tokens at a time; same order as {@link #dot}.
     */
    public static void dot4Rows(float[] w, int r0, int r1, int r2, int r3, int n,
                                float[] x, int xStride, int t0, int t1,
                                float[] out, int outStride, int j) {
        int t = t0;
        for (; t + 2 <= t1; t += 2) {
            dot4RowsTwoTokens(w, r0, r1, r2, r3, n, x, t * xStride, (t + 1) * xStride,
                    out, t * outStride + j, (t + 1) * outStride + j);
        }
        for (; t < t1; t++) dot4RowsOneToken(w, r0, r1, r2, r3, n, x, t * xStride, out, t * outStride + j);
    }

    /**
     * 4 rows x 2 tokens: 8 accumulators, 4 weight vectors and 1 input fit the 16 registers of AVX2
     * (4 x 4 spills there, and measured no faster). Same per-pair order as every other kernel here.
     */
    private static void dot4RowsTwoTokens(float[] w, int r0, int r1, int r2, int r3, int n, float[] x, int xa, int xb,
                                          float[] out, int oa, int ob) {
        int bound = F.loopBound(n);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int i = 0; i < bound; i += LANES) {
            FloatVector w0 = FloatVector.fromArray(F, w, r0 + i);
            FloatVector w1 = FloatVector.fromArray(F, w, r1 + i);
            FloatVector w2 = FloatVector.fromArray(F, w, r2 + i);
            FloatVector w3 = FloatVector.fromArray(F, w, r3 + i);
            FloatVector v = FloatVector.fromArray(F, x, xa + i);
            a0 = w0.fma(v, a0); a1 = w1.fma(v, a1); a2 = w2.fma(v, a2); a3 = w3.fma(v, a3);
            v = FloatVector.fromArray(F, x, xb + i);
            b0 = w0.fma(v, b0); b1 = w1.fma(v, b1); b2 = w2.fma(v, b2); b3 = w3.fma(v, b3);
        }
        out[oa] = tail(w, r0, x, xa, bound, n, Exact.sum(a0));
        out[oa + 1] = tail(w, r1, x, xa, bound, n, Exact.sum(a1));
        out[oa + 2] = tail(w, r2, x, xa, bound, n, Exact.sum(a2));
        out[oa + 3] = tail(w, r3, x, xa, bound, n, Exact.sum(a3));
        out[ob] = tail(w, r0, x, xb, bound, n, Exact.sum(b0));
        out[ob + 1] = tail(w, r1, x, xb, bound, n, Exact.sum(b1));
        out[ob + 2] = tail(w, r2, x, xb, bound, n, Exact.sum(b2));
        out[ob + 3] = tail(w, r3, x, xb, bound, n, Exact.sum(b3));
    }

    /**
     * The single-token case of {@link #dot4Rows} (matrix-vector decode), in its own method so the JIT
     * compiles it for itself rather than as a cold tail of the batched loop.
     */
    public static void dot4RowsOneToken(float[] w, int r0, int r1, int r2, int r3, int n, float[] x, int xo,
                                        float[] out, int o) {
        int bound = F.loopBound(n);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            a0 = FloatVector.fromArray(F, w, r0 + i).fma(v, a0);
            a1 = FloatVector.fromArray(F, w, r1 + i).fma(v, a1);
            a2 = FloatVector.fromArray(F, w, r2 + i).fma(v, a2);
            a3 = FloatVector.fromArray(F, w, r3 + i).fma(v, a3);
        }
        out[o] = tail(w, r0, x, xo, bound, n, Exact.sum(a0));
        out[o + 1] = tail(w, r1, x, xo, bound, n, Exact.sum(a1));
        out[o + 2] = tail(w, r2, x, xo, bound, n, Exact.sum(a2));
        out[o + 3] = tail(w, r3, x, xo, bound, n, Exact.sum(a3));
    }

    /** {@link #dot4RowsOneToken} for 16-bit rows (bf16 or IEEE half), widened in registers (same order as decoding first). */
    public static void dot4RowsOneTokenHalf(short[] w, int r0, int r1, int r2, int r3, int n, float[] x,
                                            float[] out, int o, boolean bf16) {
        int bound = F.loopBound(n);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            a0 = halfVector(w, r0 + i, bf16).fma(v, a0);
            a1 = halfVector(w, r1 + i, bf16).fma(v, a1);
            a2 = halfVector(w, r2 + i, bf16).fma(v, a2);
            a3 = halfVector(w, r3 + i, bf16).fma(v, a3);
        }
        out[o] = tailHalf(w, r0, x, 0, bound, n, bf16, Exact.sum(a0));
        out[o + 1] = tailHalf(w, r1, x, 0, bound, n, bf16, Exact.sum(a1));
        out[o + 2] = tailHalf(w, r2, x, 0, bound, n, bf16, Exact.sum(a2));
        out[o + 3] = tailHalf(w, r3, x, 0, bound, n, bf16, Exact.sum(a3));
    }

    private static float tailHalf(short[] w, int wo, float[] x, int xo, int bound, int n, boolean bf16, float sum) {
        for (int i = bound; i < n; i++) sum += halfToFloat(w[wo + i], bf16) * x[xo + i];
        return sum;
    }

    /** Adds the scalar tail (columns past the last full vector) to a reduced vector sum. */
    private static float tail(float[] w, int wo, float[] x, int xo, int bound, int n, float sum) {
        for (int i = bound; i < n; i++) sum += w[wo + i] * x[xo + i];
        return sum;
    }
}
