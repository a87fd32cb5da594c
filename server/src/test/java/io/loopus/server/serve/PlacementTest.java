package io.loopus.server.serve;

import com.typesafe.config.ConfigFactory;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.load.ModelShape;
import io.loopus.worker.stage.StageMemory;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlacementTest {
    @Test
    void placementOverridesNamedStages() {
        List<String> cpus = List.of("cpu:0", "cpu:1", "cpu:2");
        assertEquals(cpus, Placement.resolve(cpus, ""));
        assertEquals(List.of("cuda:0", "cuda:1", "cuda:2"), Placement.resolve(cpus, "encoder=cuda:0,loop=cuda:1,decoder=cuda:2"));
        assertEquals(List.of("cpu:0", "cuda:0", "cpu:2"), Placement.resolve(cpus, " loop = cuda:0 "));
        assertEquals(List.of("cpu:0", "cpu:0", "cpu:3"), Placement.resolve(List.of("cpu", "cpu:0", "cpu:3"), null));
        assertThrows(IllegalArgumentException.class, () -> Placement.resolve(cpus, "loop"));
        assertThrows(IllegalArgumentException.class, () -> Placement.resolve(cpus, "loop=tpu:0"));
        assertThrows(IllegalArgumentException.class, () -> Placement.resolve(List.of("cpu:0"), null));
    }

    @Test
    void settingsAcceptCudaDevicesAndAPlacement() {
        var c = ConfigFactory.parseString("loopus.server.placement = \"decoder=cuda:1\"").withFallback(ConfigFactory.load());
        ServeSettings s = ServeSettings.from(c);
        assertEquals(List.of("cpu:0", "cpu:1", "cuda:1"), s.devices());
        assertTrue(s.usesCuda());
        ServeSettings plain = ServeSettings.from(ConfigFactory.load());
        assertEquals(List.of("cpu:0", "cpu:1", "cpu:2"), plain.devices());
        assertTrue(!plain.usesCuda());
    }

    /** 110M shape: dim 768, 12 layers of 12 heads, hidden 2048, vocab 32000, F32 with a shared classifier. */
    private static ModelShape shape110M() {
        LlamaConfig c = new LlamaConfig("llama", 768, 2048, 12, 12, 12, 64, 32000, 1024, 1e-5f, 10000, null,
                RopeConvention.INTERLEAVED, false, false, true, 1, new int[] {2});
        long params = 12L * (2 * 768 * 768 + 2 * 768 * 768 + 3L * 768 * 2048) + 32000L * 768;
        return new ModelShape(c, null, 0, 4 * params);
    }

    private static DeviceCheck.DeviceFree gib(double free) {
        return new DeviceCheck.DeviceFree() {
            @Override public long bytes(int index) { return (long) (free * (1L << 30)); }

            @Override public String describe(int index) { return "test GPU " + index; }
        };
    }

    @Test
    void aModelThatDoesNotFitItsDeviceIsRefusedWithItsNeeds() {
        ServeSettings all = ServeSettings.from(ConfigFactory.parseString(
                "loopus.server { placement = \"encoder=cuda:0,loop=cuda:0,decoder=cuda:0\", kv-tokens = 16384 }")
                .withFallback(ConfigFactory.load()));
        StageMemory m = DeviceCheck.memory(shape110M(), null, 1, all);
        assertEquals(4.0, StageMemory.bytesPerValue(m.config(), shape110M().weightBytes()), 1e-9);
        long weights = m.encoder().weights() + m.loop().weights() + m.decoder().weights();
        long expected = 4L * (12L * (4L * 768 * 768 + 3L * 768 * 2048) + 2L * 32000 * 768); // the decoder has its own head copy
        assertEquals(expected, weights);
        // KV: 12 layers x 16384 tokens x 768 x 2 x 4 bytes = 1.5 GiB
        assertEquals(12L * 16384 * 768 * 8, m.encoder().kv() + m.loop().kv() + m.decoder().kv());
        DeviceCheck.fits(m, all, gib(8)); // fits 8 GiB
        var e = assertThrows(IllegalArgumentException.class, () -> DeviceCheck.fits(m, all, gib(1.5)));
        assertTrue(e.getMessage().startsWith("the model does not fit cuda:0 (test GPU 0): encoder, loop, decoder there need "), e.getMessage());
        assertTrue(e.getMessage().contains("but 1.50 GiB are free"), e.getMessage());
        // spread over three devices, each needs a third or so
        ServeSettings spread = ServeSettings.from(ConfigFactory.parseString(
                "loopus.server.placement = \"encoder=cuda:0,loop=cuda:1,decoder=cuda:2\"").withFallback(ConfigFactory.load()));
        DeviceCheck.fits(DeviceCheck.memory(shape110M(), null, 1, spread), spread, gib(1.5));
        // a looped plan keeps the loop stage's KV once per depth
        StageMemory looped = DeviceCheck.memory(shape110M(), new Split(2, 10, 12), 8, all);
        assertEquals(8 * 8L * 16384 * 768 * 8, looped.loop().kv());
    }
}
