package io.loopus.worker.stage;

/**
 * A message that crosses nodes in cluster mode and is serialised with Jackson CBOR (control
 * messages); activation batches are serialised as protobuf by their own serializer.
 */
public interface StageMessage {}
