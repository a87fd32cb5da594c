package io.loopus.trainer.grad;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * e^x lane by lane, in as few Vector API operations as it takes: the scheme of the worker's
 * {@code Exact.exp} (2^n p(r) with n = round(x / ln 2), a Cody-Waite reduction and Cephes' degree-7
 * polynomial), written with fused multiply-adds and constants broadcast once. In JDK 17, C2 parses
 * every vector operation into hundreds of nodes before it intrinsifies them; Exact.exp, inlined
 * with attention's per-query loops, took the compilation past NodeCountInliningCutoff (18000
 * nodes), and C2 then left vector operations after it uncompiled, boxing every vector. Fused
 * multiply-adds are exactly rounded everywhere, so the result does not depend on whether the JIT
 * compiled it; it is within 2 ulp of Math.exp over the clamped range.
 */
final class VectorExp {
    private VectorExp() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding it rounds to an integer, held in the low mantissa bits
    private static final FloatVector LO = broadcast(-87.3365447504f), HI = broadcast(88.3762626647949f); // 2^n stays normal
    private static final FloatVector LOG2E = broadcast(1.44269504088896341f), ROUNDER = broadcast(ROUND);
    private static final FloatVector MINUS_LN2_HI = broadcast(-0.693359375f), MINUS_LN2_LO = broadcast(2.12194440e-4f);
    private static final FloatVector P0 = broadcast(1.9875691500e-4f), P1 = broadcast(1.3981999507e-3f),
            P2 = broadcast(8.3334519073e-3f), P3 = broadcast(4.1665795894e-2f), P4 = broadcast(1.6666665459e-1f),
            P5 = broadcast(5.0000001201e-1f), ONE = broadcast(1f);
    private static final IntVector EXPONENT_BIAS = IntVector.broadcast(I, 127 - Float.floatToIntBits(ROUND));

    /** e^x; inputs are clamped to [-87.3, 88.4] (below: ~1e-38 instead of 0). */
    static FloatVector exp(FloatVector x) {
        x = x.max(LO).min(HI);
        FloatVector rounded = x.fma(LOG2E, ROUNDER);
        FloatVector n = rounded.sub(ROUNDER);
        FloatVector r = n.fma(MINUS_LN2_HI, x);
        r = n.fma(MINUS_LN2_LO, r);
        FloatVector p = r.fma(P0, P1).fma(r, P2).fma(r, P3).fma(r, P4).fma(r, P5);
        p = p.fma(r.mul(r), r).add(ONE);
        // 2^n: n (from the low bits of rounded) plus the exponent bias, moved into the exponent field
        IntVector bits = (IntVector) rounded.reinterpretShape(I, 0);
        FloatVector scale = (FloatVector) bits.add(EXPONENT_BIAS).lanewise(VectorOperators.LSHL, 23).reinterpretShape(F, 0);
        return p.mul(scale);
    }

    private static FloatVector broadcast(float v) { return FloatVector.broadcast(F, v); }
}
