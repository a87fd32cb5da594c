// Row-wise reductions of CudaBackend: RMSNorm (in groups, for Qwen3's per-head q/k norm),
// LayerNorm (the confidence head) and the LoopUS selective gate. One block per row (or group);
// the block size is a power of two. Each thread reads and writes only its own elements after the
// reduction, so out may be x (in place).
#include "common.cuh"

// grid (n, groups): out = weight * (scale * x) with scale = 1/sqrt(mean(x^2) + eps), as CpuBackend
extern "C" __global__ void rms_norm_f32(const float* x, const float* weight, float* out, int cols, int width,
                                        float eps) {
    extern __shared__ float red[];
    long long o = (long long) blockIdx.x * cols + (long long) blockIdx.y * width;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < width; i += blockDim.x) ss = fmaf(x[o + i], x[o + i], ss);
    ss = block_sum(ss, red);
    float scale = (float) (1.0 / sqrt((double) (ss / width + eps)));
    for (int i = threadIdx.x; i < width; i += blockDim.x) out[o + i] = weight[i] * (scale * x[o + i]);
}

// grid (n): LayerNorm over each row; sums in double as CpuBackend.layerNorm
extern "C" __global__ void layer_norm_f32(const float* x, const float* weight, const float* bias, float* out,
                                          int cols, float eps) {
    extern __shared__ double redd[];
    long long o = (long long) blockIdx.x * cols;
    double sum = 0.0;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) sum += x[o + i];
    sum = block_sum_double(sum, redd);
    float mean = (float) (sum / cols);
    double var = 0.0;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        double d = (double) (x[o + i] - mean);
        var += d * d;
    }
    var = block_sum_double(var, redd);
    float inv = (float) (1.0 / sqrt(var / cols + (double) eps));
    for (int i = threadIdx.x; i < cols; i += blockDim.x) out[o + i] = (x[o + i] - mean) * inv * weight[i] + bias[i];
}

// log(1 + e^x), linear above 20 as in PyTorch (and CpuBackend.softplus)
__device__ __forceinline__ float softplus(float x) {
    return x > 20.0f ? x : (float) log1p(exp((double) x));
}

// grid (n): Abar = exp(softplus(delta) * decay); h = Abar * r + (1 - Abar) * h; meanAbar[t] = mean(Abar)
extern "C" __global__ void selective_gate_f32(float* h, const float* r, const float* delta, const float* decay,
                                              int cols, float* mean_abar) {
    extern __shared__ double redd[];
    long long o = (long long) blockIdx.x * cols;
    double sum = 0.0;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        float abar = (float) exp((double) __fmul_rn(softplus(delta[o + i]), decay[i]));
        h[o + i] = __fadd_rn(__fmul_rn(abar, r[o + i]), __fmul_rn(1.0f - abar, h[o + i]));
        sum += abar;
    }
    sum = block_sum_double(sum, redd);
    if (threadIdx.x == 0) mean_abar[blockIdx.x] = (float) (sum / cols);
}
