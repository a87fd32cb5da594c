package io.loopus.server.cli;

import io.loopus.worker.gpu.DeviceReport;
import io.loopus.worker.gpu.Devices;
import io.loopus.worker.gpu.GpuDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Lists the devices stages can be placed on: the CPU, and each CUDA device or why there is none. */
@Command(name = "devices", mixinStandardHelpOptions = true, description = {
        "List the devices that serve --devices/--placement can put stages on: cpu:N (a CPU backend with threads of its own)",
        "and cuda:N (a GPU), with each GPU's memory, or why CUDA is unavailable; and whether cuBLAS loads (else the",
        "loopus GEMM kernels do the products) and whether this build carries the PTX kernels."})
public final class DevicesCommand implements Callable<Integer> {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override public Integer call() {
        DeviceReport r = Devices.discover();
        String cublas = r.hasGpu() ? Devices.cublasProblem() : null;
        boolean kernels = Devices.hasKernels();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("cpu_cores", r.cpuCores());
            List<Map<String, Object>> gpus = new ArrayList<>();
            for (GpuDevice g : r.gpus()) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("device", "cuda:" + g.index());
                d.put("name", g.name());
                d.put("total_bytes", g.totalBytes());
                d.put("free_bytes", Devices.memory(g.index())[0]);
                d.put("compute_capability", g.major() + "." + g.minor());
                d.put("multiprocessors", g.multiprocessors());
                gpus.add(d);
            }
            o.put("cuda", gpus);
            if (!r.hasGpu()) o.put("cuda_unavailable", r.unavailable());
            if (r.hasGpu()) o.put("cublas", cublas == null ? "available" : "unavailable: " + cublas);
            o.put("ptx_kernels", kernels);
            System.out.println(Json.write(o));
            return 0;
        }
        System.out.printf("cpu     %d cores: cpu:N devices (each stage on cpu:N gets a thread pool of its own)%n", r.cpuCores());
        if (!r.hasGpu()) {
            System.out.println("cuda    no CUDA device: " + r.unavailable());
        } else {
            for (GpuDevice g : r.gpus()) {
                long free = Devices.memory(g.index())[0];
                System.out.printf("%s, %.1f GiB free%n", g.describe(), free / (double) (1L << 30));
            }
            System.out.println("cuBLAS  " + (cublas == null ? "available" : "unavailable (" + cublas
                    + "): products use the loopus GEMM kernels"));
        }
        System.out.println("kernels " + (kernels ? "PTX for sm_90 in this build" : "none in this build (built without nvcc): cuda:N cannot run"));
        return 0;
    }
}
