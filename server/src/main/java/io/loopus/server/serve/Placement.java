package io.loopus.server.serve;

import io.loopus.worker.gpu.Backends;

import java.util.ArrayList;
import java.util.List;

/**
 * Which device runs each stage. {@code devices} lists them in stage order (encoder, loop,
 * decoder); a placement ({@code encoder=cuda:0,loop=cuda:1,decoder=cuda:2}) names stages and
 * overrides theirs, leaving the others where {@code devices} puts them.
 */
public final class Placement {
    public static final List<String> STAGES = List.of("encoder", "loop", "decoder");

    private Placement() {}

    /** The device of each stage in stage order; every name checked (cpu:N or cuda:N). */
    public static List<String> resolve(List<String> devices, String placement) {
        if (devices.size() != 3) {
            throw new IllegalArgumentException("devices must name 3 stages (encoder, loop, decoder), got " + devices);
        }
        List<String> out = new ArrayList<>(devices);
        if (placement != null && !placement.isBlank()) {
            for (String part : placement.split(",")) {
                String p = part.trim();
                int eq = p.indexOf('=');
                int stage = eq < 0 ? -1 : STAGES.indexOf(p.substring(0, eq).trim());
                if (stage < 0) {
                    throw new IllegalArgumentException("placement \"" + p + "\": expected STAGE=DEVICE with STAGE one of "
                            + String.join(", ", STAGES) + " (e.g. encoder=cuda:0,loop=cuda:1,decoder=cuda:2)");
                }
                out.set(stage, p.substring(eq + 1).trim());
            }
        }
        for (int i = 0; i < 3; i++) out.set(i, Backends.parse(out.get(i)).toString()); // "cpu" is cpu:0
        return List.copyOf(out);
    }
}
