// Shared helpers of the loopus kernels. Every kernel works on dense row-major F32 activations
// (rows x cols) and is launched by io.loopus.worker.gpu.CudaBackend on the legacy default stream.
#pragma once

// Widens 16-bit weights the way the CPU backend does (HalfFloats): bf16 is the high half of a
// float; IEEE half through the hardware conversion (exact for every input).
__device__ __forceinline__ float bf16_to_float(unsigned short h) {
    return __uint_as_float(((unsigned int) h) << 16);
}

__device__ __forceinline__ float f16_to_float(unsigned short h) {
    float f;
    asm("{ cvt.f32.f16 %0, %1; }" : "=f"(f) : "h"(h));
    return f;
}

// Weight element types as template tags: F32 = 0, F16 = 1, BF16 = 2 (the order of DType).
template <int T> struct Weight;
template <> struct Weight<0> {
    typedef float type;
    static __device__ __forceinline__ float load(const float* w, long long i) { return w[i]; }
};
template <> struct Weight<1> {
    typedef unsigned short type;
    static __device__ __forceinline__ float load(const unsigned short* w, long long i) { return f16_to_float(w[i]); }
};
template <> struct Weight<2> {
    typedef unsigned short type;
    static __device__ __forceinline__ float load(const unsigned short* w, long long i) { return bf16_to_float(w[i]); }
};

// Sum (or max) of one value per thread over the block; every thread gets the result.
// red must hold blockDim.x floats; blockDim.x must be a power of two.
__device__ __forceinline__ float block_sum(float v, float* red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
        __syncthreads();
    }
    float r = red[0];
    __syncthreads();
    return r;
}

__device__ __forceinline__ double block_sum_double(double v, double* red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
        __syncthreads();
    }
    double r = red[0];
    __syncthreads();
    return r;
}

__device__ __forceinline__ float block_max(float v, float* red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) red[threadIdx.x] = fmaxf(red[threadIdx.x], red[threadIdx.x + s]);
        __syncthreads();
    }
    float r = red[0];
    __syncthreads();
    return r;
}
