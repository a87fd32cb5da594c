// The paged KV cache on the device, laid out exactly as PagedKvCache lays out its host arrays:
// per layer, numBlocks blocks of blockSize positions x kvDim floats; within a block, keys are
// [kvHead][channel][slot] (channel-major) and values [kvHead][slot][channel]. A row's block
// table is tables[offsets[t] ..], block b of it holding positions [b*blockSize, (b+1)*blockSize).
#include "common.cuh"

__device__ __forceinline__ long long block_base(const int* table, int pos, int block_size, int kv_dim) {
    return (long long) table[pos / block_size] * block_size * kv_dim;
}

// grid (n), threads over kvDim: writes k[t], v[t] at (sequence of row t, positions[t])
extern "C" __global__ void store_kv_f32(const float* k, const float* v, int k_cols, int v_cols, const int* positions,
                                        const int* offsets, const int* tables, float* kc, float* vc, int kv_dim,
                                        int head_dim, int block_size) {
    int t = blockIdx.x, pos = positions[t];
    long long base = block_base(tables + offsets[t], pos, block_size, kv_dim);
    int slot = pos % block_size;
    for (int d = threadIdx.x; d < kv_dim; d += blockDim.x) {
        int h = d / head_dim, c = d % head_dim;
        kc[base + (long long) d * block_size + slot] = k[(long long) t * k_cols + d];
        vc[base + ((long long) h * block_size + slot) * head_dim + c] = v[(long long) t * v_cols + d];
    }
}

// grid (n, heads), blockDim a power of two: causal attention of row t's head h over positions
// 0..positions[t] of its sequence, grouped-query (kv head h / (heads / kvHeads)).
// q.k is summed channel by channel in order[] (RoPE pair order, as CpuBackend); scores go to
// scratch[(t*heads + h) * scratch_stride ..]. Dynamic shared memory: 2*headDim + 2*blockDim floats.
extern "C" __global__ void attention_f32(const float* q, int q_cols, float* out, int out_cols, const int* positions,
                                         const int* offsets, const int* tables, const float* kc, const float* vc,
                                         const int* order, int heads, int kv_heads, int head_dim, int kv_dim,
                                         int block_size, float scale, float* scratch, int scratch_stride) {
    extern __shared__ float smem[];
    float* qs = smem;                                   // q of this head, in pair order
    int* ord = (int*) (smem + head_dim);                // the channel order
    float* red = smem + 2 * head_dim;                   // reductions
    float* part = red + blockDim.x;                     // partial value sums
    int t = blockIdx.x, h = blockIdx.y;
    int len = positions[t] + 1;
    int kvh = h / (heads / kv_heads);
    const int* table = tables + offsets[t];
    float* scores = scratch + ((long long) t * heads + h) * scratch_stride;
    long long qo = (long long) t * q_cols + (long long) h * head_dim;
    for (int i = threadIdx.x; i < head_dim; i += blockDim.x) {
        ord[i] = order[i];
        qs[i] = q[qo + order[i]];
    }
    __syncthreads();

    float local_max = -INFINITY;
    for (int p = threadIdx.x; p < len; p += blockDim.x) {
        const float* key = kc + block_base(table, p, block_size, kv_dim) + (long long) kvh * head_dim * block_size
                + p % block_size;
        float acc = 0.0f;
        for (int i = 0; i < head_dim; i++) acc = fmaf(key[(long long) ord[i] * block_size], qs[i], acc);
        float s = acc * scale;
        scores[p] = s;
        local_max = fmaxf(local_max, s);
    }
    float max = block_max(local_max, red);

    float local_sum = 0.0f;
    for (int p = threadIdx.x; p < len; p += blockDim.x) {
        float e = expf(scores[p] - max);
        scores[p] = e;
        local_sum += e;
    }
    float inv = 1.0f / block_sum(local_sum, red); // also orders the score writes before the reads below

    long long oo = (long long) t * out_cols + (long long) h * head_dim;
    if (head_dim <= blockDim.x) {
        // groups of headDim threads each sum every groups-th position; then one thread per channel adds the groups
        int groups = blockDim.x / head_dim, c = threadIdx.x % head_dim, g = threadIdx.x / head_dim;
        float acc = 0.0f;
        if (g < groups) {
            for (int p = g; p < len; p += groups) {
                const float* value = vc + block_base(table, p, block_size, kv_dim)
                        + ((long long) kvh * block_size + p % block_size) * head_dim;
                acc = fmaf(scores[p], value[c], acc);
            }
            part[g * head_dim + c] = acc;
        }
        __syncthreads();
        if (threadIdx.x < head_dim) {
            float sum = 0.0f;
            for (int k = 0; k < groups; k++) sum += part[k * head_dim + threadIdx.x];
            out[oo + threadIdx.x] = sum * inv;
        }
    } else {
        for (int c = threadIdx.x; c < head_dim; c += blockDim.x) {
            float acc = 0.0f;
            for (int p = 0; p < len; p++) {
                const float* value = vc + block_base(table, p, block_size, kv_dim)
                        + ((long long) kvh * block_size + p % block_size) * head_dim;
                acc = fmaf(scores[p], value[c], acc);
            }
            out[oo + c] = acc * inv;
        }
    }
}

// grid (count, layers), threads over a block: whole blocks from[i] -> to[i] in every layer
// (PagedKvCache.copyPrefix). layer_floats: floats of one layer's keys (and of its values).
extern "C" __global__ void copy_kv_blocks_f32(float* kc, float* vc, long long layer_floats, const int* from,
                                              const int* to, int block_floats) {
    long long layer = (long long) blockIdx.y * layer_floats;
    long long src = layer + (long long) from[blockIdx.x] * block_floats;
    long long dst = layer + (long long) to[blockIdx.x] * block_floats;
    for (int i = threadIdx.x; i < block_floats; i += blockDim.x) {
        kc[dst + i] = kc[src + i];
        vc[dst + i] = vc[src + i];
    }
}

// grid (end - start, layers), threads over kvDim: positions [start, end) from one sequence's blocks
// to another's, in every layer (PagedKvCache.copyPositions: the loop's fill-forward of exited keys)
extern "C" __global__ void copy_kv_positions_f32(float* kc, float* vc, long long layer_floats, const int* from_table,
                                                 const int* to_table, int start, int kv_dim, int head_dim,
                                                 int block_size) {
    int pos = start + blockIdx.x, slot = pos % block_size;
    long long layer = (long long) blockIdx.y * layer_floats;
    long long src = layer + block_base(from_table, pos, block_size, kv_dim);
    long long dst = layer + block_base(to_table, pos, block_size, kv_dim);
    for (int d = threadIdx.x; d < kv_dim; d += blockDim.x) {
        long long ko = (long long) d * block_size + slot;
        long long vo = ((long long) (d / head_dim) * block_size + slot) * head_dim + d % head_dim;
        kc[dst + ko] = kc[src + ko];
        vc[dst + vo] = vc[src + vo];
    }
}
