/**
 * Backward passes for LoopUS training, as explicit paired forward/backward functions over host
 * {@code float[]} buffers (row-major, rows x cols), CPU only.
 *
 * <p>Conventions shared by every class here:
 * <ul>
 *   <li>storage is float32; the hot kernels (matrix products, attention, SwiGLU, RMSNorm,
 *       cross-entropy) run single-threaded on the Vector API and sum in float, in short chunks or
 *       lanes added pairwise, always in the same order, so a result does not depend on the JIT;
 *       small or per-sequence sums (losses over rows, LayerNorm, the gate) are taken in double;</li>
 *   <li>a forward saves exactly what its backward needs (into a tape or caller-given buffers);</li>
 *   <li>a backward <em>accumulates</em> ({@code +=}) into its input and parameter gradients, so
 *       a value used twice collects both contributions; a gradient argument that may be null is
 *       skipped (not wanted);</li>
 *   <li>buffers are sized once and reused; nothing is allocated per row or per element.</li>
 * </ul>
 */
package io.loopus.trainer.grad;
