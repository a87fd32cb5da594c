package io.loopus.worker.loop;

import java.util.Locale;

/** How reasoning layers keep keys and values across loop depths (DESIGN §2). */
public enum KvPolicy {
    /** One cache per depth; a token that exits early has its keys and values filled forward. */
    PER_DEPTH,
    /** One cache per reasoning layer that every depth overwrites: memory independent of N. */
    SHARED;

    public String key() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    public static KvPolicy parse(String key) {
        for (KvPolicy p : values()) if (p.key().equals(key)) return p;
        throw new IllegalArgumentException("unknown KV policy \"" + key + "\" (one of per-depth, shared)");
    }
}
