package io.loopus.worker.stage;

import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.KvPolicy;
import io.loopus.worker.model.LayerStack;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The looped reasoning block on one device, with depth-wise batching (DESIGN §2): a pool of items
 * (a whole prompt, or one decode token, of some sequence), each at its own depth. One
 * {@link #pass} runs the block and the gate once over every item in the pool, whatever its depth
 * (each row attends to its own depth's keys); items whose exit rule says so leave, and new items
 * can join before the next pass, so places freed by early exits are filled at once.
 *
 * <p>With {@code keepExited} (static batching, what the reference does) an item that exits still
 * takes part in every pass until the whole pool has exited, as rows of the reference's batch tensor
 * do: its result is taken when it exits, and its further passes only cost time (their keys and
 * values go to a scratch sequence no one reads), so results are the same in both modes.
 *
 * <p>Without a gate (a base model served in stages) the block runs exactly once per item and its
 * output is the next state. Not thread-safe: its stage actor is its only user.
 */
public final class LoopBlock {
    private final LlamaConfig config;
    private final LayerStack block;
    private final GateWeights gate; // null: a base model's middle layers, applied once
    private final ConfidenceHead head;
    private final float[] decay;
    private final KvPolicy kvPolicy;
    private final int depths;
    private final Backend backend;
    private final PagedKvCache cache;
    private final boolean keepExited;
    private final int scratch; // the sequence that exited items of a static batch write to
    private final Map<Long, int[]> depthIds = new HashMap<>();
    private final List<Item> pool = new ArrayList<>();
    private int poolRows;

    private Tensor h, hNext, r, u, z, delta, qIn, qOut;
    private int[] positions = new int[0], keep = new int[0], qRows = new int[0];
    private int[][] tables = new int[0][];
    private float[] meanAbar = new float[0];
    private final float[] one = new float[1];
    private final float[] lastAfter;

    /** One item in the pool: its input, where its rows are, and its loop state. */
    private static final class Item {
        final Hidden in;
        final int[] ids;
        final ExitPolicy exit;
        final float[] q, abar;
        int start, passes;
        boolean exited;
        double logSurvival, change = Double.NaN;
        float[] lastBefore;

        Item(Hidden in, int[] ids, ExitPolicy exit) {
            this.in = in;
            this.ids = ids;
            this.exit = exit;
            this.q = new float[exit.maxLoops()];
            this.abar = new float[exit.maxLoops()];
            Arrays.fill(q, Float.NaN);
        }

        int last() { return start + in.rows() - 1; }
    }

    /**
     * @param gate           null to apply the block once, without gate or head (a base model)
     * @param depths         the deepest loop any item may ask for (per-depth caches hold this many)
     * @param capacityTokens cache positions per depth, over all sequences
     * @param keepExited     static batching: exited items keep computing until the pool is done
     */
    public LoopBlock(LlamaConfig config, LayerStack block, GateWeights gate, ConfidenceHead head, KvPolicy kvPolicy,
                     int depths, int capacityTokens, boolean keepExited, Backend backend) {
        this.config = config;
        this.block = block;
        this.gate = gate;
        this.head = head;
        this.decay = gate == null ? null : gate.decay();
        this.kvPolicy = kvPolicy;
        this.depths = gate == null || kvPolicy == KvPolicy.SHARED ? 1 : depths;
        this.backend = backend;
        int blockSize = PagedKvCache.DEFAULT_BLOCK_SIZE;
        int perDepth = (capacityTokens + blockSize - 1) / blockSize * blockSize;
        this.keepExited = keepExited;
        int scratchTokens = keepExited ? config.contextLength() : 0;
        this.cache = new PagedKvCache(block.size(), config.kvHeads(), config.headDim(), blockSize,
                Math.addExact(Math.multiplyExact(perDepth, this.depths), scratchTokens));
        if (keepExited) {
            scratch = cache.newSequence();
            cache.grow(scratch, config.contextLength());
        } else {
            scratch = -1;
        }
        this.lastAfter = new float[config.dim()];
    }

    /** Whether items loop (a LoopUS model) or pass once (a base model). */
    public boolean loops() { return gate != null; }

    public boolean isEmpty() { return pool.isEmpty(); }

    /** Whether every item in the pool has exited (static batching: the batch is done). */
    public boolean allExited() { return pool.stream().allMatch(i -> i.exited); }

    /** Static batching: ends the batch, removing its exited items from the pool. */
    public void dropExited() {
        List<Item> gone = pool.stream().filter(i -> i.exited).toList();
        if (!gone.isEmpty()) compact(gone);
    }

    public int items() { return pool.size(); }

    public int rows() { return poolRows; }

    /** Checks that an item can join: its exit rule fits the caches. */
    public void validate(Hidden in) {
        if (gate != null && kvPolicy == KvPolicy.PER_DEPTH && in.exit().maxLoops() > depths) {
            throw new IllegalArgumentException("sequence " + in.seq() + " asks for " + in.exit().maxLoops()
                    + " loops; this loop stage holds " + depths + " depths");
        }
    }

    /** Adds an item (validated) to the pool; it takes part from the next pass on. */
    public void add(Hidden in) {
        validate(in);
        if (pool.stream().anyMatch(i -> i.in.seq() == in.seq() && !i.exited)) {
            throw new IllegalArgumentException("sequence " + in.seq() + " is already looping");
        }
        int end = in.startPos() + in.rows();
        int[] ids = depthIds.get(in.seq());
        if (ids == null) {
            if (in.startPos() != 0) throw new IllegalArgumentException("sequence " + in.seq() + " is unknown here and does not start at position 0");
            ids = new int[depths];
            for (int d = 0; d < depths; d++) ids[d] = cache.newSequence();
            depthIds.put(in.seq(), ids);
        } else if (in.startPos() > cache.length(ids[0])) {
            throw new IllegalArgumentException("sequence " + in.seq() + " skips positions " + cache.length(ids[0]) + ".." + (in.startPos() - 1));
        }
        for (int id : ids) if (cache.length(id) < end) cache.grow(id, end);
        ensure(poolRows + in.rows());
        Item item = new Item(in, ids, gate == null ? ExitPolicy.fixed(1) : in.exit());
        item.start = poolRows;
        backend.writeRows(h, poolRows, in.rows(), in.states(), 0);
        pool.add(item);
        poolRows += in.rows();
    }

    /** Drops a sequence: out of the pool if it is there, and out of the cache. */
    public void release(long seq) {
        int[] ids = depthIds.remove(seq);
        if (ids != null) for (int id : ids) cache.free(id);
        for (int k = 0; k < pool.size(); k++) {
            if (pool.get(k).in.seq() == seq) {
                compact(List.of(pool.get(k)));
                break;
            }
        }
    }

    /** Runs one pass of the block over every item in the pool and returns the items that left. */
    public List<Looped> pass() {
        int m = poolRows;
        if (m == 0) return List.of();
        for (Item item : pool) {
            int[] table = cache.blockTable(item.exited ? scratch : item.ids[depths == 1 ? 0 : item.passes]);
            for (int i = 0; i < item.in.rows(); i++) {
                positions[item.start + i] = item.in.startPos() + i;
                tables[item.start + i] = table;
            }
        }
        backend.gatherRows(h, identity(m), m, r);
        block.run(r, m, positions, tables, cache);
        if (gate == null) {
            Tensor swap = h;
            h = r;
            r = swap;
        } else {
            backend.subtract(r, h, m, u);
            confidence(m);
            convergence(true);
            backend.matmul(u, m, gate.wIn(), z);
            backend.matmul(z, m, gate.wDelta(), delta);
            backend.addBias(delta, m, gate.bDelta());
            backend.selectiveGate(h, r, delta, decay, m, meanAbar);
            convergence(false);
        }
        List<Item> left = new ArrayList<>();
        List<Looped> out = new ArrayList<>();
        for (Item item : pool) {
            if (item.exited) continue;
            int t = ++item.passes;
            if (gate != null) item.abar[t - 1] = meanAbar[item.last()];
            double q = item.q[t - 1];
            item.logSurvival = item.exit.survivalAfter(t, q, item.logSurvival);
            if (!item.exit.exitsAfter(t, q, item.change, item.logSurvival)) continue;
            left.add(item);
            float[] states = new float[item.in.rows() * config.dim()];
            backend.readRows(h, item.start, item.in.rows(), states, 0);
            settle(item, t);
            out.add(new Looped(item.in.withStates(states), t, Arrays.copyOf(item.q, t), Arrays.copyOf(item.abar, t)));
            item.exited = true;
        }
        if (!left.isEmpty() && !keepExited) compact(left);
        return out;
    }

    /**
     * The item left after {@code depth} passes: under per-depth caches its keys and values at that
     * depth are copied to every deeper depth, so later tokens find them whatever their own depth
     * (DESIGN §2, fill forward).
     */
    private void settle(Item item, int depth) {
        if (depths == 1) return;
        int from = item.in.startPos(), to = from + item.in.rows();
        for (int d = depth + 1; d <= depths; d++) cache.copyPositions(item.ids[depth - 1], item.ids[d - 1], from, to);
    }

    /** Evaluates q at the last row of every item whose exit rule looks at its coming step. */
    private void confidence(int m) {
        int count = 0;
        for (Item item : pool) if (!item.exited && item.exit.evaluatesQ(item.passes + 1)) qRows[count++] = item.last();
        if (count == 0) return;
        backend.gatherRows(u, qRows, count, qIn);
        backend.layerNorm(qIn, count, head.normWeight(), head.normBias(), ConfidenceHead.NORM_EPS, qIn);
        backend.matmul(qIn, count, head.weight(), qOut);
        int k = 0;
        for (Item item : pool) {
            if (item.exited || !item.exit.evaluatesQ(item.passes + 1)) continue;
            backend.read(qOut, k++, one);
            item.q[item.passes] = (float) (1 / (1 + Math.exp(-(one[0] + head.bias()))));
        }
    }

    /** Convergence compares the last row's state before the gate with the state after it. */
    private void convergence(boolean before) {
        for (Item item : pool) {
            if (item.exited || item.exit.strategy() != HaltingStrategy.CONVERGENCE) continue;
            if (before) {
                if (item.lastBefore == null) item.lastBefore = new float[config.dim()];
                backend.read(h, item.last(), item.lastBefore);
            } else {
                backend.read(h, item.last(), lastAfter);
                double ss = 0;
                for (int i = 0; i < lastAfter.length; i++) {
                    double d = lastAfter[i] - item.lastBefore[i];
                    ss += d * d;
                }
                item.change = Math.sqrt(ss);
            }
        }
    }

    /** Removes items from the pool; the others close ranks in pool order. */
    private void compact(List<Item> gone) {
        pool.removeAll(gone);
        int kept = 0;
        for (Item item : pool) {
            int start = kept;
            for (int i = 0; i < item.in.rows(); i++) keep[kept++] = item.start + i;
            item.start = start;
        }
        backend.gatherRows(h, keep, kept, hNext);
        Tensor swap = h;
        h = hNext;
        hNext = swap;
        poolRows = kept;
    }

    public int liveSequences() { return depthIds.size(); }

    /** Bytes of keys and values held by sequences (the static scratch sequence is not counted). */

    public long kvBytes() {
        return keepExited ? cache.usedBytes() - cache.bytesOf(scratch) : cache.usedBytes();
    }

    private int[] identity = new int[0];

    private int[] identity(int m) {
        if (identity.length < m) {
            identity = new int[Math.max(m, 2 * identity.length)];
            for (int i = 0; i < identity.length; i++) identity[i] = i;
        }
        return identity;
    }

    /** Grows the pool's buffers to {@code rows}, keeping the rows already in it. */
    private void ensure(int rows) {
        if (h != null && h.rows() >= rows) return;
        int cap = Math.max(rows, h == null ? 16 : 2 * h.rows()), dim = config.dim();
        Tensor old = h;
        h = backend.allocate(cap, dim);
        if (old != null && poolRows > 0) backend.gatherRows(old, identity(poolRows), poolRows, h);
        hNext = backend.allocate(cap, dim);
        r = backend.allocate(cap, dim);
        u = backend.allocate(cap, dim);
        delta = backend.allocate(cap, dim);
        qIn = backend.allocate(cap, dim);
        z = backend.allocate(cap, GateWeights.rank(dim));
        qOut = backend.allocate(cap, 1);
        positions = new int[cap];
        keep = new int[cap];
        qRows = new int[cap];
        tables = new int[cap][];
        meanAbar = new float[cap];
    }
}
