package io.loopus.trainer.grad;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code C += A B} on one thread, the kernel of every {@link Linear} product: C is rows x cols and
 * B depth x cols, both row-major; A(r, k) = a[r * aRow + k * aCol], so A may be read transposed.
 *
 * <p>Tiles of 4 rows x 2 vectors of C are kept in 8 vector registers while k runs: each step
 * broadcasts 4 values of A against 2 loaded vectors of B (no lane reductions). k runs in chunks of
 * {@value #DEPTH_CHUNK}: a chunk's sums start from zero in float and are then added to C, so long
 * sums (over the tokens of a batch) are rounded in short pieces, the chunk of B stays in cache for
 * every tile, and the order of every sum is fixed. A last partial vector of columns is computed
 * over the last full vector's place, and only its new lanes are added (no masked memory access,
 * which this JDK does not compile well on AVX2); fewer than one vector of columns runs scalar.
 */
final class Gemm {
    private Gemm() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int LANES = F.length();
    static final int DEPTH_CHUNK = 128;
    private static final VectorMask<Float> ALL = F.maskAll(true);

    static void multiplyAdd(int rows, int cols, int depth, float[] a, int aRow, int aCol, float[] b, float[] c) {
        for (int k0 = 0; k0 < depth; k0 += DEPTH_CHUNK) {
            int k1 = Math.min(depth, k0 + DEPTH_CHUNK);
            if (cols < LANES) scalar(rows, cols, k0, k1, a, aRow, aCol, b, c);
            else vectors(rows, cols, k0, k1, a, aRow, aCol, b, c);
        }
    }

    private static void vectors(int rows, int cols, int k0, int k1, float[] a, int aRow, int aCol, float[] b, float[] c) {
        int pairs = cols - cols % (2 * LANES), full = F.loopBound(cols), last = cols - LANES;
        int past = cols - full; // the last vector's lanes that lie past the last full one: its top ones
        VectorMask<Float> fresh = VectorMask.fromLong(F, ((1L << past) - 1) << (LANES - past));
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            for (int j = 0; j < pairs; j += 2 * LANES) tile4x2(r, j, cols, k0, k1, a, aRow, aCol, b, c);
            if (pairs < full) tile4x1(r, pairs, cols, k0, k1, a, aRow, aCol, b, c, ALL);
            if (full < cols) tile4x1(r, last, cols, k0, k1, a, aRow, aCol, b, c, fresh);
        }
        for (; r < rows; r++) {
            for (int j = 0; j < full; j += LANES) tile1x1(r, j, cols, k0, k1, a, aRow, aCol, b, c, ALL);
            if (full < cols) tile1x1(r, last, cols, k0, k1, a, aRow, aCol, b, c, fresh);
        }
    }

    /** C[r..r+4)[j..j+2 LANES) += sum over k in [k0, k1). */
    private static void tile4x2(int r, int j, int cols, int k0, int k1, float[] a, int aRow, int aCol, float[] b, float[] c) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        int ai = r * aRow + k0 * aCol, bi = k0 * cols + j;
        for (int k = k0; k < k1; k++, ai += aCol, bi += cols) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi), b1 = FloatVector.fromArray(F, b, bi + LANES);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, a[ai + aRow]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, a[ai + 2 * aRow]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, a[ai + 3 * aRow]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
        }
        int ci = r * cols + j;
        add(c, ci, c00);
        add(c, ci + LANES, c01);
        add(c, ci + cols, c10);
        add(c, ci + cols + LANES, c11);
        add(c, ci + 2 * cols, c20);
        add(c, ci + 2 * cols + LANES, c21);
        add(c, ci + 3 * cols, c30);
        add(c, ci + 3 * cols + LANES, c31);
    }

    /** C[r..r+4)[j..j+LANES) += the sum, on the lanes of mask only. */
    private static void tile4x1(int r, int j, int cols, int k0, int k1, float[] a, int aRow, int aCol, float[] b, float[] c,
                                VectorMask<Float> mask) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        int ai = r * aRow + k0 * aCol, bi = k0 * cols + j;
        for (int k = k0; k < k1; k++, ai += aCol, bi += cols) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi);
            c0 = b0.fma(FloatVector.broadcast(F, a[ai]), c0);
            c1 = b0.fma(FloatVector.broadcast(F, a[ai + aRow]), c1);
            c2 = b0.fma(FloatVector.broadcast(F, a[ai + 2 * aRow]), c2);
            c3 = b0.fma(FloatVector.broadcast(F, a[ai + 3 * aRow]), c3);
        }
        int ci = r * cols + j;
        add(c, ci, c0, mask);
        add(c, ci + cols, c1, mask);
        add(c, ci + 2 * cols, c2, mask);
        add(c, ci + 3 * cols, c3, mask);
    }

    private static void tile1x1(int r, int j, int cols, int k0, int k1, float[] a, int aRow, int aCol, float[] b, float[] c,
                                VectorMask<Float> mask) {
        FloatVector c0 = FloatVector.zero(F);
        int ai = r * aRow + k0 * aCol, bi = k0 * cols + j;
        for (int k = k0; k < k1; k++, ai += aCol, bi += cols) {
            c0 = FloatVector.fromArray(F, b, bi).fma(FloatVector.broadcast(F, a[ai]), c0);
        }
        add(c, r * cols + j, c0, mask);
    }

    /** Fewer columns than one vector: the same chunked float sums, one value at a time. */
    private static void scalar(int rows, int cols, int k0, int k1, float[] a, int aRow, int aCol, float[] b, float[] c) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                float s = 0;
                for (int k = k0; k < k1; k++) s = Math.fma(a[r * aRow + k * aCol], b[k * cols + j], s);
                c[r * cols + j] += s;
            }
        }
    }

    private static void add(float[] c, int i, FloatVector v) {
        FloatVector.fromArray(F, c, i).add(v).intoArray(c, i);
    }

    private static void add(float[] c, int i, FloatVector v, VectorMask<Float> mask) {
        FloatVector.fromArray(F, c, i).add(FloatVector.zero(F).blend(v, mask)).intoArray(c, i);
    }
}
