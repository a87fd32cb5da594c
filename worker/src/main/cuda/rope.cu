// Rotary position embedding in both pairings (RopeTable): interleaved pairs (2i, 2i+1) as
// llama2.c, or rotate-half pairs (i, i + headDim/2) as Hugging Face. cos/sin are the model's
// RopeTable arrays, [position][pair].
// grid (n), threads over (head, pair); products rounded separately, as Java computes them.
extern "C" __global__ void rope_f32(float* x, const int* positions, const float* cos_t, const float* sin_t,
                                    int cols, int head_dim, int interleaved) {
    int half = head_dim / 2;
    int heads = cols / head_dim;
    int t = blockIdx.x;
    long long base = (long long) positions[t] * half;
    for (int k = threadIdx.x; k < heads * half; k += blockDim.x) {
        int h = k / half, i = k % half;
        long long o = (long long) t * cols + (long long) h * head_dim;
        long long ia = interleaved ? o + 2 * i : o + i;
        long long ib = interleaved ? o + 2 * i + 1 : o + i + half;
        float c = cos_t[base + i], s = sin_t[base + i];
        float a = x[ia], b = x[ib];
        x[ia] = __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s));
        x[ib] = __fadd_rn(__fmul_rn(a, s), __fmul_rn(b, c));
    }
}
