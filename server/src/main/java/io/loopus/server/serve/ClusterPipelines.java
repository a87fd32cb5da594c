package io.loopus.server.serve;

import io.loopus.worker.stage.DecoderStage;
import io.loopus.worker.stage.EncoderStage;
import io.loopus.worker.stage.LoopStage;
import io.loopus.worker.stage.StageKeys;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * A frontend's pipelines, assembled from the stages the cluster's Receptionist lists as reachable:
 * one pipeline per loop stage (the stage worth scaling), with an encoder and a decoder on the same
 * node when there is one, else taken in turn. Tells the scheduler whenever the set changes, so it
 * moves the work of lost pipelines and uses new ones.
 */
final class ClusterPipelines implements PipelineSource {
    @Override public void start(ActorContext<Scheduler.Command> scheduler) {
        scheduler.spawn(watcher(scheduler.getSelf()), "pipelines");
    }

    private record Listed(Receptionist.Listing listing) {}

    private static Behavior<Listed> watcher(ActorRef<Scheduler.Command> scheduler) {
        return Behaviors.setup(ctx -> {
            ActorRef<Receptionist.Listing> adapter = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
            var receptionist = ctx.getSystem().receptionist();
            receptionist.tell(Receptionist.subscribe(StageKeys.ENCODER, adapter));
            receptionist.tell(Receptionist.subscribe(StageKeys.LOOP, adapter));
            receptionist.tell(Receptionist.subscribe(StageKeys.DECODER, adapter));
            return listening(scheduler, Set.of(), Set.of(), Set.of(), null);
        });
    }

    private static Behavior<Listed> listening(ActorRef<Scheduler.Command> scheduler, Set<ActorRef<EncoderStage.Command>> encoders,
                                              Set<ActorRef<LoopStage.Command>> loops, Set<ActorRef<DecoderStage.Command>> decoders,
                                              List<Stages> last) {
        return Behaviors.receive(Listed.class).onMessage(Listed.class, m -> {
            Receptionist.Listing l = m.listing();
            var e = l.isForKey(StageKeys.ENCODER) ? l.getServiceInstances(StageKeys.ENCODER) : encoders;
            var p = l.isForKey(StageKeys.LOOP) ? l.getServiceInstances(StageKeys.LOOP) : loops;
            var d = l.isForKey(StageKeys.DECODER) ? l.getServiceInstances(StageKeys.DECODER) : decoders;
            List<Stages> now = assemble(e, p, d);
            if (!now.equals(last)) scheduler.tell(new Scheduler.PipelinesChanged(now));
            return listening(scheduler, e, p, d, now);
        }).build();
    }

    /** One pipeline per loop stage; encoder and decoder from the loop's node when it has them. */
    static List<Stages> assemble(Set<ActorRef<EncoderStage.Command>> encoders, Set<ActorRef<LoopStage.Command>> loops,
                                 Set<ActorRef<DecoderStage.Command>> decoders) {
        if (encoders.isEmpty() || loops.isEmpty() || decoders.isEmpty()) return List.of();
        Comparator<ActorRef<?>> byPath = Comparator.comparing(r -> r.path().toString());
        List<ActorRef<EncoderStage.Command>> es = new ArrayList<>(encoders);
        List<ActorRef<LoopStage.Command>> ls = new ArrayList<>(loops);
        List<ActorRef<DecoderStage.Command>> ds = new ArrayList<>(decoders);
        es.sort(byPath);
        ls.sort(byPath);
        ds.sort(byPath);
        List<Stages> out = new ArrayList<>();
        for (int i = 0; i < ls.size(); i++) {
            ActorRef<LoopStage.Command> loop = ls.get(i);
            out.add(new Stages(sameNode(es, loop, i), loop, sameNode(ds, loop, i)));
        }
        return out;
    }

    private static <T> ActorRef<T> sameNode(List<ActorRef<T>> candidates, ActorRef<?> loop, int turn) {
        for (ActorRef<T> c : candidates) if (c.path().address().equals(loop.path().address())) return c;
        return candidates.get(turn % candidates.size());
    }
}
