package io.loopus.worker.gpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendsTest {
    @Test
    void deviceNames() {
        assertEquals(new Backends.DeviceName("cpu", 0), Backends.parse("cpu"));
        assertEquals(new Backends.DeviceName("cpu", 2), Backends.parse("cpu:2"));
        assertEquals(new Backends.DeviceName("cuda", 1), Backends.parse(" cuda:1 "));
        assertTrue(Backends.parse("cuda:3").cuda());
        assertEquals("cuda:3", Backends.parse("cuda:3").toString());
        for (String bad : new String[] {"cuda", "gpu:0", "cuda:-1", "cpu:x", ""}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Backends.parse(bad), bad);
            assertTrue(e.getMessage().contains("cpu:N or cuda:N"), e.getMessage());
        }
    }

    @Test
    void failuresReadAsOneLine() {
        String jcuda = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\nOperating system name: Linux\n"
                + "Stack trace from the attempt to load the library as a resource:\njava.lang.UnsatisfiedLinkError: "
                + "/tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file: No such file or directory\n\tat x";
        assertEquals("libcuda.so.1 not found (no NVIDIA driver on this machine)", CudaFailure.reason(new UnsatisfiedLinkError(jcuda)));
        String blas = jcuda.replace("libJCudaDriver", "libJCublas2").replace("libcuda.so.1", "libcublas.so.12");
        assertEquals("libcublas.so.12 not found (no CUDA 12 cuBLAS on the library path)", CudaFailure.reason(new UnsatisfiedLinkError(blas)));
        assertEquals("cudaErrorInsufficientDriver (no NVIDIA driver, or one older than CUDA 12)",
                CudaFailure.reason(new jcuda.CudaException("cudaErrorInsufficientDriver")));
        assertEquals("NoClassDefFoundError: Could not initialize class jcuda.jcublas.JCublas2",
                CudaFailure.reason(new NoClassDefFoundError("Could not initialize class jcuda.jcublas.JCublas2\nmore")));
    }
}
