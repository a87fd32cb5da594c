package io.loopus.worker.hub;

import io.loopus.worker.load.SharedData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The demo's default inputs: a model, its tokenizer, a training text and a held-out text. Taken from
 * the shared data folder when there is one, else downloaded from the hub (once) into the cache.
 */
public final class DemoAssets {
    // Every hub name the demo depends on, in one place.
    public static final HubFile MODEL = HubFile.model("karpathy/tinyllamas", "main", "stories260K/stories260K.bin");
    public static final HubFile TOKENIZER = HubFile.model("karpathy/tinyllamas", "main", "stories260K/tok512.bin");
    /** TinyStories' validation split (~19 MB), which stories260K was not trained on. */
    public static final HubFile STORIES = HubFile.dataset("roneneldan/TinyStories", "main", "TinyStories-valid.txt");
    /** Stories at the end of {@link #STORIES} kept out of training, for evaluation. */
    public static final int HELD_OUT_STORIES = 400;

    // The same four inputs inside the shared data folder.
    static final String SHARED_MODEL = "models/stories260K/stories260K.bin";
    static final String SHARED_TOKENIZER = "models/stories260K/tok512.bin";
    static final String SHARED_TRAIN = "data/tinystories/train.txt";
    static final String SHARED_VALID = "data/tinystories/valid.txt";

    /** Where a set of inputs came from. */
    public enum Origin {
        SHARED, HUB;

        @Override
        public String toString() {
            return name().toLowerCase();
        }
    }

    /** The four inputs, all existing files. */
    public record Resolved(Path model, Path tokenizer, Path train, Path valid, Origin origin) {}

    private final HubClient hub;
    private final Optional<Path> shared;

    /** @param shared the shared data folder, or empty to always use the hub */
    public DemoAssets(HubClient hub, Optional<Path> shared) {
        this.hub = hub;
        this.shared = shared;
    }

    public static DemoAssets fromEnvironment() {
        return new DemoAssets(HubClient.fromEnvironment(), SharedData.locate());
    }

    public Resolved resolve() throws IOException {
        return resolve(file -> DownloadProgress.NONE);
    }

    /**
     * @param progress gives the listener for each file that is actually downloaded (called just before
     *                 its download starts, so a command line can name the file above its progress bar)
     */
    public Resolved resolve(Function<HubFile, DownloadProgress> progress) throws IOException {
        Optional<Resolved> local = fromShared();
        if (local.isPresent()) return local.get();
        Path model = fetch(MODEL, progress);
        Path tokenizer = fetch(TOKENIZER, progress);
        Path stories = fetch(STORIES, progress);
        // Derived beside the hub files but outside hub/, which mirrors the hub's own layout only.
        Path dir = hub.config().cacheRoot().resolve("derived").resolve("tinystories");
        Path train = dir.resolve("train.txt");
        Path valid = dir.resolve("valid.txt");
        if (!Files.isRegularFile(train) || !Files.isRegularFile(valid))
            StorySplit.split(stories, HELD_OUT_STORIES, train, valid);
        return new Resolved(model, tokenizer, train, valid, Origin.HUB);
    }

    /** The shared folder's copies, only when all four are there (a partial folder falls back to the hub). */
    private Optional<Resolved> fromShared() {
        if (shared.isEmpty()) return Optional.empty();
        Path root = shared.get();
        List<Path> files = List.of(root.resolve(SHARED_MODEL), root.resolve(SHARED_TOKENIZER),
                root.resolve(SHARED_TRAIN), root.resolve(SHARED_VALID));
        if (!files.stream().allMatch(Files::isRegularFile)) return Optional.empty();
        return Optional.of(new Resolved(files.get(0), files.get(1), files.get(2), files.get(3), Origin.SHARED));
    }

    private Path fetch(HubFile file, Function<HubFile, DownloadProgress> progress) throws IOException {
        // Asks for a listener only when a download will happen, so cached files draw no progress bar.
        Optional<Path> hit = hub.cached(file);
        return hit.isPresent() ? hit.get() : hub.download(file, progress.apply(file));
    }
}
