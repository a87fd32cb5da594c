package io.loopus.trainer.report;

import io.loopus.worker.loop.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunInfoTest {
    @TempDir Path dir;

    RunInfo read(String json) throws IOException {
        return RunInfo.read(Files.writeString(dir.resolve("run.json"), json));
    }

    @Test void recipeNumbersReadAsWritten() throws IOException {
        RunInfo run = read("{\"model\": \"m\", \"layers\": 5, \"split\": {\"encoder_end\": 1, \"decoder_start\": 4}, \"loops\": 4,"
                + " \"control\": false, \"config\": {\"steps\": 300, \"lr\": 5e-5, \"beta\": 1.0}, \"data\": \"t.txt\","
                + " \"eval_data\": \"v.txt\", \"dynamics\": null}");
        assertEquals(new Split(1, 4, 5), run.split());
        assertEquals("{steps=300, lr=0.00005, beta=1}", run.config().toString());
        assertNull(run.dynamics());
    }

    @Test void dynamicsPerLayerMayBeAListOfLayers() throws IOException {
        RunInfo run = read("{\"model\": \"m\", \"layers\": 3, \"split\": {\"encoder_end\": 1, \"decoder_start\": 2}, \"loops\": 2,"
                + " \"dynamics\": {\"per_layer\": [{\"layer\": 0, \"cosine\": 0.5, \"relative_update_norm\": 1.2},"
                + " {\"layer\": 1, \"relative_update_norm\": 0.4}, {\"layer\": 2, \"relative_update_norm\": 0.9}],"
                + " \"split\": {\"encoder_end\": 1, \"decoder_start\": 2}, \"rule\": \"plateau\"}}");
        assertArrayEquals(new double[] {1.2, 0.4, 0.9}, run.dynamics().relativeUpdateNorm());
        assertEquals("plateau", run.dynamics().rule());
        assertTrue(Double.isNaN(run.dynamics().threshold()));
    }

    @Test void anImpossibleSplitNamesTheFile() {
        IOException e = assertThrows(IOException.class,
                () -> read("{\"model\": \"m\", \"layers\": 3, \"split\": {\"encoder_end\": 2, \"decoder_start\": 2}}"));
        assertTrue(e.getMessage().contains("run.json"), e.getMessage());
    }
}
