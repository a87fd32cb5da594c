package io.loopus.worker.gpu;

import io.loopus.worker.TestData;
import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.loop.Split;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kernel, whole models and the three stages on cuda:0 against the CPU backend, with the
 * backend's own products (cuBLAS where it loads) and with the loopus GEMM kernels forced. Skipped,
 * with the reason, where there is no CUDA device. Bounds: {@link ParityBounds}.
 */
class CudaParityTest {
    private static CudaBackend auto, kernels;

    @BeforeEach
    void open() {
        GpuAssumptions.assumeGpu();
        if (auto == null) {
            auto = CudaBackend.open(0);
            kernels = CudaBackend.open(0, CudaBackend.Products.KERNELS);
        }
    }

    @AfterAll
    static void close() {
        if (auto != null) auto.close();
        if (kernels != null) kernels.close();
    }

    /** Every check passes; the failures are all listed. */
    private static void allPass(List<ParityCheck> checks) {
        checks.forEach(System.out::println);
        assertAll(checks.stream().map(c -> () -> assertTrue(c.passed(), c.toString())));
    }

    @Test
    void everyOpWithTheBackendsProducts() {
        allPass(new ParityOps(auto).run());
    }

    @Test
    void everyOpWithTheKernelGemm() {
        allPass(new ParityOps(kernels).run());
    }

    @Test
    void randomModelsAndStagesBothWays() {
        allPass(new ParityStacks(auto).random());
        allPass(new ParityStacks(kernels).random());
    }

    @Test
    void stories260K() {
        Llama2cLoader.Checkpoint base = Llama2cLoader.load(TestData.model());
        allPass(new ParityStacks(auto).real("stories260K", base.config(), base.weights(), new Split(1, 4, 5)));
    }
}
