// The products out[t][j] = W row j . x[t] (x W^T, as Llama layers multiply) without cuBLAS: used
// when libcublas cannot load (e.g. a machine whose CUDA is a newer major version than JCublas binds).
// Weights are F32, F16 or BF16 (widened in registers); activations and sums are F32.
#include "common.cuh"

// Few tokens (decode): one warp per weight row, lanes striding over the columns (coalesced), up to
// four tokens per pass so each weight element is read once per four tokens.
template <int T>
__device__ void gemv(const typename Weight<T>::type* w, int rows, int cols, const float* x, int x_stride, int n,
                     float* out, int out_stride) {
    int lane = threadIdx.x & 31;
    int j = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (j >= rows) return; // whole warps leave together
    long long wo = (long long) j * cols;
    for (int t0 = 0; t0 < n; t0 += 4) {
        int count = min(4, n - t0);
        float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int k = lane; k < cols; k += 32) {
            float wk = Weight<T>::load(w, wo + k);
            for (int u = 0; u < count; u++) acc[u] = fmaf(wk, x[(long long) (t0 + u) * x_stride + k], acc[u]);
        }
        for (int u = 0; u < count; u++) {
            float v = acc[u];
            for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
            if (lane == 0) out[(long long) (t0 + u) * out_stride + j] = v;
        }
    }
}

extern "C" __global__ void gemv_f32(const float* w, int rows, int cols, const float* x, int x_stride, int n,
                                    float* out, int out_stride) {
    gemv<0>(w, rows, cols, x, x_stride, n, out, out_stride);
}
extern "C" __global__ void gemv_f16(const unsigned short* w, int rows, int cols, const float* x, int x_stride, int n,
                                    float* out, int out_stride) {
    gemv<1>(w, rows, cols, x, x_stride, n, out, out_stride);
}
extern "C" __global__ void gemv_bf16(const unsigned short* w, int rows, int cols, const float* x, int x_stride, int n,
                                     float* out, int out_stride) {
    gemv<2>(w, rows, cols, x, x_stride, n, out, out_stride);
}

#define TILE 64
#define TILE_K 16

// Many tokens: 64 tokens x 64 weight rows per block of 256 threads (16 x 16), each thread 4 x 4
// outputs, the K dimension staged through shared memory 16 columns at a time. grid (ceil(rows/64), ceil(n/64)).
template <int T>
__device__ void gemm(const typename Weight<T>::type* w, int rows, int cols, const float* x, int x_stride, int n,
                     float* out, int out_stride) {
    __shared__ float ws[TILE_K][TILE + 1];
    __shared__ float xs[TILE_K][TILE + 1];
    int j0 = blockIdx.x * TILE, t0 = blockIdx.y * TILE;
    int tx = threadIdx.x % 16, ty = threadIdx.x / 16; // tx: weight rows, ty: tokens
    float acc[4][4] = {};
    for (int k0 = 0; k0 < cols; k0 += TILE_K) {
        // 64 x 16 elements of each operand, 4 per thread; k fastest, so loads are coalesced by rows of 16
        for (int e = threadIdx.x; e < TILE * TILE_K; e += blockDim.x) {
            int r = e / TILE_K, k = e % TILE_K;
            int j = j0 + r, t = t0 + r, kk = k0 + k;
            ws[k][r] = (j < rows && kk < cols) ? Weight<T>::load(w, (long long) j * cols + kk) : 0.0f;
            xs[k][r] = (t < n && kk < cols) ? x[(long long) t * x_stride + kk] : 0.0f;
        }
        __syncthreads();
        for (int k = 0; k < TILE_K; k++) {
            float a[4], b[4];
            for (int i = 0; i < 4; i++) {
                a[i] = xs[k][ty + 16 * i];
                b[i] = ws[k][tx + 16 * i];
            }
            for (int i = 0; i < 4; i++)
                for (int jj = 0; jj < 4; jj++) acc[i][jj] = fmaf(a[i], b[jj], acc[i][jj]);
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++) {
        int t = t0 + ty + 16 * i;
        if (t >= n) continue;
        for (int jj = 0; jj < 4; jj++) {
            int j = j0 + tx + 16 * jj;
            if (j < rows) out[(long long) t * out_stride + j] = acc[i][jj];
        }
    }
}

extern "C" __global__ void gemm_f32(const float* w, int rows, int cols, const float* x, int x_stride, int n,
                                    float* out, int out_stride) {
    gemm<0>(w, rows, cols, x, x_stride, n, out, out_stride);
}
extern "C" __global__ void gemm_f16(const unsigned short* w, int rows, int cols, const float* x, int x_stride, int n,
                                    float* out, int out_stride) {
    gemm<1>(w, rows, cols, x, x_stride, n, out, out_stride);
}
extern "C" __global__ void gemm_bf16(const unsigned short* w, int rows, int cols, const float* x, int x_stride, int n,
                                     float* out, int out_stride) {
    gemm<2>(w, rows, cols, x, x_stride, n, out, out_stride);
}
