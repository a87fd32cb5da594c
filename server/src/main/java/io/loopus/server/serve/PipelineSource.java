package io.loopus.server.serve;

import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Where a scheduler's pipelines come from: spawned locally, or assembled from the stages a cluster
 * offers. Started once in the scheduler's setup; it tells the scheduler
 * {@link Scheduler.PipelinesChanged} whenever the set changes.
 */
@FunctionalInterface
public interface PipelineSource {
    void start(ActorContext<Scheduler.Command> scheduler);
}
