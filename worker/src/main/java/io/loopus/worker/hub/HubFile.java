package io.loopus.worker.hub;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * One file of a hub repository at a revision, with optional checks of what arrives.
 *
 * @param repo         {@code owner/name}
 * @param revision     branch, tag or commit
 * @param path         path inside the repository, {@code /}-separated
 * @param expectedSize bytes the file must have, or -1 for no check
 * @param sha256       lower-case hex digest the file must have, or null for no check
 */
public record HubFile(RepoType type, String repo, String revision, String path, long expectedSize, String sha256) {
    // Hub repo names are letters, digits, '-', '_' and '.'; anything else (and "..") could escape the cache.
    private static final Pattern REPO = Pattern.compile("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public HubFile {
        if (type == null) throw new IllegalArgumentException("repository type is null");
        if (repo == null || !REPO.matcher(repo).matches() || repo.contains(".."))
            throw new IllegalArgumentException("repository must be owner/name, got \"" + repo + "\"");
        if (revision == null || revision.isEmpty() || revision.contains(".."))
            throw new IllegalArgumentException("bad revision \"" + revision + "\"");
        if (path == null || path.isEmpty() || path.startsWith("/") || path.contains("\\"))
            throw new IllegalArgumentException("bad file path \"" + path + "\"");
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals(".."))
                throw new IllegalArgumentException("bad file path \"" + path + "\"");
        }
        if (expectedSize < -1) throw new IllegalArgumentException("expected size " + expectedSize);
        if (sha256 != null && !SHA256.matcher(sha256).matches())
            throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits, got \"" + sha256 + "\"");
    }

    public static HubFile model(String repo, String revision, String path) {
        return new HubFile(RepoType.MODEL, repo, revision, path, -1, null);
    }

    public static HubFile dataset(String repo, String revision, String path) {
        return new HubFile(RepoType.DATASET, repo, revision, path, -1, null);
    }

    /** The same file, checked against a size (-1: none) and a sha256 (null: none) once downloaded. */
    public HubFile expecting(long size, String sha256) {
        return new HubFile(type, repo, revision, path, size, sha256);
    }

    /** {@code [datasets/]owner/name/resolve/revision/path}, percent-encoded, as huggingface_hub builds it. */
    String resolvePath() {
        StringBuilder sb = new StringBuilder(type.urlPrefix).append(repo).append("/resolve/").append(encode(revision));
        for (String segment : path.split("/")) sb.append('/').append(encode(segment));
        return sb.toString();
    }

    /** {@code hub/{models|datasets}/owner--name/revision/path}, relative to the cache root. */
    Path cachePath() {
        // The revision is percent-encoded so a branch like "refs/pr/1" stays one folder.
        Path p = Path.of("hub", type.cacheFolder, repo.replace("/", "--"), encode(revision));
        for (String segment : path.split("/")) p = p.resolve(segment);
        return p;
    }

    /** Human-readable name for messages. */
    String describe() {
        return (type == RepoType.DATASET ? "dataset " : "model ") + repo + " revision " + revision + " file " + path;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
