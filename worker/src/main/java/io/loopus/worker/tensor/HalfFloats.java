package io.loopus.worker.tensor;

/** Scalar conversions between F32 and the 16-bit formats (IEEE half and bfloat16). */
public final class HalfFloats {
    private HalfFloats() {}

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Round-to-nearest-even conversion, NaN kept NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** IEEE 754 binary16 to float; exact for every input, subnormals, infinities and NaN included. */
    public static float f16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        // Re-bias the exponent by multiplying: handles normals and subnormals alike.
        float magnitude = Float.intBitsToFloat(((h & 0x7fff) << 13)) * 0x1p112f;
        return sign != 0 ? -magnitude : magnitude;
    }

    /** Float to IEEE binary16, round to nearest even, overflow to infinity. */
    public static short floatToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0));
        if (abs >= 0x477ff000) return (short) (sign | 0x7c00); // rounds past 65504
        if (abs < 0x38800000) { // subnormal half (or zero)
            float scaled = Float.intBitsToFloat(abs) * 0x1p24f; // units of 2^-24
            return (short) (sign | Math.round(Math.rint(scaled)));
        }
        int mant = abs & 0x7fffff;
        int exp = (abs >>> 23) - 127 + 15;
        int half = (exp << 10) | (mant >>> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) half++;
        return (short) (sign | half);
    }
}
