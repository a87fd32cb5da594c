// Element-wise and row-copy ops of CudaBackend: add, subtract, bias, SiLU*mul, gather/scatter rows,
// embedding lookup, and the F32 -> F16/BF16 conversion that feeds cublasGemmEx.
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include "common.cuh"

#define GRID_STRIDE(i, n) for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < (n); \
                               i += (long long) blockDim.x * gridDim.x)

// x[i] += y[i]
extern "C" __global__ void add_f32(float* x, const float* y, long long n) {
    GRID_STRIDE(i, n) x[i] += y[i];
}

// out[i] = a[i] - b[i]
extern "C" __global__ void subtract_f32(const float* a, const float* b, float* out, long long n) {
    GRID_STRIDE(i, n) out[i] = a[i] - b[i];
}

// x[t*cols + j] += bias[j] for j < len (the CPU backend adds bias.length columns)
extern "C" __global__ void add_bias_f32(float* x, const float* bias, int rows, int cols, int len) {
    GRID_STRIDE(i, (long long) rows * len) {
        long long t = i / len;
        int j = (int) (i % len);
        x[t * cols + j] += bias[j];
    }
}

// g[i] = silu(g[i]) * u[i]; expf is within 2 ulp, like the CPU's Exact.exp
extern "C" __global__ void silu_mul_f32(float* g, const float* u, long long n) {
    GRID_STRIDE(i, n) {
        float x = g[i];
        g[i] = x / (1.0f + expf(-x)) * u[i];
    }
}

// dst[i] = src[rows[i]] (rows of cols floats)
extern "C" __global__ void gather_rows_f32(const float* src, const int* rows, int count, int cols, float* dst) {
    GRID_STRIDE(i, (long long) count * cols) {
        long long r = i / cols;
        int c = (int) (i % cols);
        dst[i] = src[(long long) rows[r] * cols + c];
    }
}

// dst[rows[i]] = src[i]
extern "C" __global__ void scatter_rows_f32(const float* src, const int* rows, int count, int cols, float* dst) {
    GRID_STRIDE(i, (long long) count * cols) {
        long long r = i / cols;
        int c = (int) (i % cols);
        dst[(long long) rows[r] * cols + c] = src[i];
    }
}

template <int T>
__device__ void embed(const typename Weight<T>::type* table, const int* tokens, int n, int dim, float* out) {
    GRID_STRIDE(i, (long long) n * dim) {
        long long t = i / dim;
        int c = (int) (i % dim);
        out[i] = Weight<T>::load(table, (long long) tokens[t] * dim + c);
    }
}

// out[t] = table row tokens[t], widened to F32
extern "C" __global__ void embed_f32(const float* table, const int* tokens, int n, int dim, float* out) {
    embed<0>(table, tokens, n, dim, out);
}
extern "C" __global__ void embed_f16(const unsigned short* table, const int* tokens, int n, int dim, float* out) {
    embed<1>(table, tokens, n, dim, out);
}
extern "C" __global__ void embed_bf16(const unsigned short* table, const int* tokens, int n, int dim, float* out) {
    embed<2>(table, tokens, n, dim, out);
}

// Activations rounded (to nearest even) to the weights' 16-bit type: cublasGemmEx needs A and B
// of one type. This rounding is what bounds the F16/BF16 parity of the cuBLAS path.
extern "C" __global__ void f32_to_f16(const float* x, __half* y, long long n) {
    GRID_STRIDE(i, n) y[i] = __float2half_rn(x[i]);
}
extern "C" __global__ void f32_to_bf16(const float* x, __nv_bfloat16* y, long long n) {
    GRID_STRIDE(i, n) y[i] = __float2bfloat16_rn(x[i]);
}
