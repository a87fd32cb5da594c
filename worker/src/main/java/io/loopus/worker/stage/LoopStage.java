package io.loopus.worker.stage;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The loop stage: owns the reasoning block, gate and confidence head, their device and the
 * per-depth KV caches. It runs pass after pass while it has items, reading its mailbox between
 * passes, so new arrivals join the very next pass.
 *
 * <p>{@link Batching#DEPTH_WISE} (DESIGN §2): an item leaves for the decoder the moment its exit
 * rule says so, and its places in the pool go to the next arrivals. {@link Batching#STATIC} (what
 * the reference does): a batch is admitted only into an empty pool, its exited items keep their
 * places (and cost) in every pass, and it leaves together when its last item is done (the block
 * must be made with {@code keepExited}). Either way the pool holds at most {@code maxRows} rows (one
 * item may exceed it when the pool is empty).
 */
public final class LoopStage extends AbstractBehavior<LoopStage.Command> {
    public enum Batching {
        DEPTH_WISE, STATIC;

        public static Batching parse(String s) {
            return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "depth-wise", "depthwise", "continuous" -> DEPTH_WISE;
                case "static" -> STATIC;
                default -> throw new IllegalArgumentException("batching must be depth-wise or static, got \"" + s + "\"");
            };
        }

        @Override public String toString() { return this == DEPTH_WISE ? "depth-wise" : "static"; }
    }

    public sealed interface Command {}

    public record Enter(List<Hidden> items, Route route) implements Command {}

    /** Frees a sequence here, then in its route's decoder; without a route, only here. */
    public record Release(long seq, Route route) implements Command, StageMessage {}

    private enum Iterate implements Command { INSTANCE }

    private final LoopBlock block;
    private final StageStats stats;
    private final Batching batching;
    private final int maxRows;
    private final Map<Long, Route> routes = new HashMap<>(); // of the sequences waiting or in the pool
    private final ArrayDeque<Hidden> waiting = new ArrayDeque<>();
    private final List<Looped> held = new ArrayList<>(); // static: exits wait for their batch
    private boolean iterating;

    public static Behavior<Command> create(LoopBlock block, StageStats stats, Batching batching, int maxRows) {
        return Behaviors.setup(ctx -> new LoopStage(ctx, block, stats, batching, maxRows));
    }

    private LoopStage(ActorContext<Command> ctx, LoopBlock block, StageStats stats, Batching batching, int maxRows) {
        super(ctx);
        this.block = block;
        this.stats = stats;
        this.batching = batching;
        this.maxRows = maxRows;
    }

    @Override public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Enter.class, this::enter)
                .onMessage(Release.class, this::release)
                .onMessageEquals(Iterate.INSTANCE, this::iterate)
                .build();
    }

    private Behavior<Command> enter(Enter m) {
        for (Hidden h : m.items()) {
            try {
                block.validate(h);
                waiting.add(h);
                routes.put(h.seq(), m.route());
            } catch (IllegalArgumentException e) {
                m.route().events().tell(new StageEvent.Failed(h.seq(), "loop", e.getMessage()));
            }
        }
        admit();
        return this;
    }

    private Behavior<Command> release(Release m) {
        waiting.removeIf(h -> h.seq() == m.seq());
        held.removeIf(l -> l.hidden().seq() == m.seq());
        routes.remove(m.seq());
        block.release(m.seq());
        stats.recordCache(block.liveSequences(), block.kvBytes());
        if (m.route() != null) m.route().decoder().tell(new DecoderStage.Release(m.seq(), m.route().events()));
        admit();
        return this;
    }

    private Behavior<Command> iterate() {
        iterating = false;
        if (!block.isEmpty()) {
            long start = System.nanoTime();
            int rows = block.rows();
            List<Looped> left = block.pass();
            stats.recordPass(System.nanoTime() - start, rows);
            if (batching == Batching.DEPTH_WISE) {
                send(left);
            } else {
                held.addAll(left);
                if (block.allExited()) block.dropExited();
                if (block.isEmpty() && !held.isEmpty()) {
                    send(new ArrayList<>(held));
                    held.clear();
                }
            }
            stats.recordCache(block.liveSequences(), block.kvBytes());
        }
        admit();
        return this;
    }

    /** Sends what left the loop to the decoders of its routes, one message per decoder. */
    private void send(List<Looped> left) {
        Map<Route, List<Looped>> byRoute = new LinkedHashMap<>();
        for (Looped l : left) {
            Route route = routes.remove(l.hidden().seq());
            if (route != null) byRoute.computeIfAbsent(route, r -> new ArrayList<>()).add(l);
        }
        byRoute.forEach((route, items) -> route.decoder().tell(new DecoderStage.Decode(items, route.events())));
    }

    /** Moves waiting items into the pool where the batching mode allows, and keeps passes coming. */
    private void admit() {
        boolean open = batching == Batching.DEPTH_WISE || block.isEmpty();
        while (open && !waiting.isEmpty()) {
            Hidden h = waiting.peek();
            if (!block.isEmpty() && block.rows() + h.rows() > maxRows) break;
            waiting.poll();
            try {
                block.add(h);
            } catch (RuntimeException e) {
                Route route = routes.remove(h.seq());
                if (route != null) route.events().tell(new StageEvent.Failed(h.seq(), "loop", String.valueOf(e.getMessage())));
            }
        }
        if (!block.isEmpty() && !iterating) {
            iterating = true;
            getContext().getSelf().tell(Iterate.INSTANCE);
        }
    }
}
