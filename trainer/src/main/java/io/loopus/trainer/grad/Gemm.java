package io.loopus.trainer.grad;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * {@code C += A B} on one thread, the kernel of every {@link Linear} product and of attention's
 * blocks: C is rows x cols and B depth x cols, both row-major with row strides ldc and ldb;
 * A(r, k) = a[aOff + r * aRow + k * aCol], so A may be read transposed or strided.
 *
 * <p>Tiles of 4 rows x 2 vectors of C (8 rows x 1 vector when C is narrower than 2 vectors, as
 * attention's rows of one head are) are kept in 8 vector registers while k runs: each step
 * broadcasts values of A against loaded vectors of B (no lane reductions). k runs in chunks of
 * {@value #DEPTH_CHUNK}: a chunk's sums start from zero in float and are then added to C, so long
 * sums (over the tokens of a batch) are rounded in short pieces, the chunk of B stays in cache for
 * every tile, and the order of every sum is fixed. The last tile of a row or column range that
 * is not a whole tile overlaps the one before it, and only its new rows and columns are added:
 * the sums are multiplied by zeros and ones first (masked memory access does not compile well on
 * AVX2 in this JDK). Shapes too small for a tile run scalar.
 *
 * <p>The tile methods are kept over 325 bytecodes (FreqInlineSize), so C2 never inlines them into
 * the loops that call them: in JDK 17, vectors carried around a loop nested in another are boxed.
 */
final class Gemm {
    private Gemm() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int LANES = F.length();
    static final int TILE_COLS = 2 * LANES;
    static final int DEPTH_CHUNK = 128;
    /** TILE_COLS zeros, then TILE_COLS ones: the two vectors read from m have their last m lanes set. */
    private static final float[] LAST_ONES = new float[2 * TILE_COLS];

    static {
        Arrays.fill(LAST_ONES, TILE_COLS, 2 * TILE_COLS, 1f);
    }

    /** The common case: A, B and C from their first element, B and C with rows of cols values. */
    static void multiplyAdd(int rows, int cols, int depth, float[] a, int aRow, int aCol, float[] b, float[] c) {
        multiplyAdd(rows, cols, depth, a, 0, aRow, aCol, b, 0, cols, c, 0, cols);
    }

    static void multiplyAdd(int rows, int cols, int depth, float[] a, int aOff, int aRow, int aCol,
                            float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        for (int k0 = 0; k0 < depth; k0 += DEPTH_CHUNK) {
            int k1 = Math.min(depth, k0 + DEPTH_CHUNK);
            if (cols < TILE_COLS && cols >= LANES && rows >= 8) {
                narrowTiles(rows, cols, k0, k1, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc);
                continue;
            }
            if (rows < 4 || cols < TILE_COLS) {
                scalar(rows, cols, k0, k1, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc);
                continue;
            }
            for (int r = 0; r < rows; r += 4) {
                int r0 = Math.min(r, rows - 4);
                for (int j = 0; j < cols; j += TILE_COLS) {
                    int j0 = Math.min(j, cols - TILE_COLS);
                    tile(r0 + 4 - r, j0 + TILE_COLS - j, k0, k1, a, aOff + r0 * aRow, aRow, aCol, b, bOff + j0, ldb,
                            c, cOff + r0 * ldc + j0, ldc);
                }
            }
        }
    }

    /**
     * The 4 x TILE_COLS tile of C at c[ci..] += the sum over k in [k0, k1) of A's 4 rows at a[ai..]
     * times B's columns at b[bi..], on its last {@code freshRows} rows and last {@code freshCols}
     * columns only (the others belong to the tile before).
     */
    private static void tile(int freshRows, int freshCols, int k0, int k1, float[] a, int ai, int aRow, int aCol,
                             float[] b, int bi, int ldb, float[] c, int ci, int ldc) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        ai += k0 * aCol;
        bi += k0 * ldb;
        for (int k = k0; k < k1; k++, ai += aCol, bi += ldb) {
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
        FloatVector keep0 = FloatVector.fromArray(F, LAST_ONES, freshCols);
        FloatVector keep1 = FloatVector.fromArray(F, LAST_ONES, freshCols + LANES);
        int old = 4 - freshRows; // rows before this one are the previous tile's
        c00.mul(old > 0 ? 0f : 1f).fma(keep0, FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
        c01.mul(old > 0 ? 0f : 1f).fma(keep1, FloatVector.fromArray(F, c, ci + LANES)).intoArray(c, ci + LANES);
        ci += ldc;
        c10.mul(old > 1 ? 0f : 1f).fma(keep0, FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
        c11.mul(old > 1 ? 0f : 1f).fma(keep1, FloatVector.fromArray(F, c, ci + LANES)).intoArray(c, ci + LANES);
        ci += ldc;
        c20.mul(old > 2 ? 0f : 1f).fma(keep0, FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
        c21.mul(old > 2 ? 0f : 1f).fma(keep1, FloatVector.fromArray(F, c, ci + LANES)).intoArray(c, ci + LANES);
        ci += ldc;
        c30.fma(keep0, FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
        c31.fma(keep1, FloatVector.fromArray(F, c, ci + LANES)).intoArray(c, ci + LANES);
    }

    private static void narrowTiles(int rows, int cols, int k0, int k1, float[] a, int aOff, int aRow, int aCol,
                                    float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        for (int r = 0; r < rows; r += 8) {
            int r0 = Math.min(r, rows - 8);
            for (int j = 0; j < cols; j += LANES) {
                int j0 = Math.min(j, cols - LANES);
                narrowTile(r0 + 8 - r, j0 + LANES - j, k0, k1, a, aOff + r0 * aRow, aRow, aCol, b, bOff + j0, ldb,
                        c, cOff + r0 * ldc + j0, ldc);
            }
        }
    }

    /** {@link #tile} for 8 rows of one vector of columns. */
    private static void narrowTile(int freshRows, int freshCols, int k0, int k1, float[] a, int ai, int aRow, int aCol,
                                   float[] b, int bi, int ldb, float[] c, int ci, int ldc) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        ai += k0 * aCol;
        bi += k0 * ldb;
        for (int k = k0; k < k1; k++, ai += aCol, bi += ldb) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi);
            c0 = b0.fma(FloatVector.broadcast(F, a[ai]), c0);
            c1 = b0.fma(FloatVector.broadcast(F, a[ai + aRow]), c1);
            c2 = b0.fma(FloatVector.broadcast(F, a[ai + 2 * aRow]), c2);
            c3 = b0.fma(FloatVector.broadcast(F, a[ai + 3 * aRow]), c3);
            c4 = b0.fma(FloatVector.broadcast(F, a[ai + 4 * aRow]), c4);
            c5 = b0.fma(FloatVector.broadcast(F, a[ai + 5 * aRow]), c5);
            c6 = b0.fma(FloatVector.broadcast(F, a[ai + 6 * aRow]), c6);
            c7 = b0.fma(FloatVector.broadcast(F, a[ai + 7 * aRow]), c7);
        }
        FloatVector keep = FloatVector.fromArray(F, LAST_ONES, TILE_COLS - LANES + freshCols);
        int old = 8 - freshRows; // rows before this one are the previous tile's
        c0.mul(old > 0 ? 0f : 1f).fma(keep, FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
        c1.mul(old > 1 ? 0f : 1f).fma(keep, FloatVector.fromArray(F, c, ci + ldc)).intoArray(c, ci + ldc);
        c2.mul(old > 2 ? 0f : 1f).fma(keep, FloatVector.fromArray(F, c, ci + 2 * ldc)).intoArray(c, ci + 2 * ldc);
        c3.mul(old > 3 ? 0f : 1f).fma(keep, FloatVector.fromArray(F, c, ci + 3 * ldc)).intoArray(c, ci + 3 * ldc);
        c4.mul(old > 4 ? 0f : 1f).fma(keep, FloatVector.fromArray(F, c, ci + 4 * ldc)).intoArray(c, ci + 4 * ldc);
        c5.mul(old > 5 ? 0f : 1f).fma(keep, FloatVector.fromArray(F, c, ci + 5 * ldc)).intoArray(c, ci + 5 * ldc);
        c6.mul(old > 6 ? 0f : 1f).fma(keep, FloatVector.fromArray(F, c, ci + 6 * ldc)).intoArray(c, ci + 6 * ldc);
        c7.fma(keep, FloatVector.fromArray(F, c, ci + 7 * ldc)).intoArray(c, ci + 7 * ldc);
    }

    /** Fewer than 4 rows or a tile of columns: the same chunked float sums, one value at a time. */
    private static void scalar(int rows, int cols, int k0, int k1, float[] a, int aOff, int aRow, int aCol,
                               float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                float s = 0;
                for (int k = k0; k < k1; k++) s = Math.fma(a[aOff + r * aRow + k * aCol], b[bOff + k * ldb + j], s);
                c[cOff + r * ldc + j] += s;
            }
        }
    }
}
