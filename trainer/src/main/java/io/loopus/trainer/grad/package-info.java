/**
 * Backward passes for LoopUS training, as explicit paired forward/backward functions over host
 * {@code float[]} buffers (row-major, rows x cols), CPU only.
 *
 * <p>Conventions shared by every class here:
 * <ul>
 *   <li>storage is float32; sums over a reduced dimension are taken in double;</li>
 *   <li>a forward saves exactly what its backward needs (into a tape or caller-given buffers);</li>
 *   <li>a backward <em>accumulates</em> ({@code +=}) into its input and parameter gradients, so
 *       a value used twice collects both contributions; a gradient argument that may be null is
 *       skipped (not wanted);</li>
 *   <li>buffers are sized once and reused; nothing is allocated per row or per element.</li>
 * </ul>
 */
package io.loopus.trainer.grad;
