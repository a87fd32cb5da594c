package io.loopus.worker.hub;

/** The two kinds of hub repository the demo reads; they differ only in URL prefix and cache folder. */
public enum RepoType {
    MODEL("", "models"),
    DATASET("datasets/", "datasets");

    /** Prefix of the repository in a resolve URL: models live at the root, datasets under {@code datasets/}. */
    final String urlPrefix;
    /** Folder under {@code hub/} in the cache. */
    final String cacheFolder;

    RepoType(String urlPrefix, String cacheFolder) {
        this.urlPrefix = urlPrefix;
        this.cacheFolder = cacheFolder;
    }
}
