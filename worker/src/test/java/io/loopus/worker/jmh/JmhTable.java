package io.loopus.worker.jmh;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Runs the kernel benchmarks with a short configuration (1 fork, 2 x 1 s warm-up, 3 x 1 s
 * measurement) and prints one row per benchmark: time per operation, and the {@link Traffic}
 * counters converted to GB/s (1e9 bytes/s) and GFLOP/s (1e9 flop/s).
 *
 * <p>Arguments: an optional regular expression of the benchmarks to run (default: all in this
 * package), then optionally the file that receives JMH's own log (default: standard output).
 * Run through {@code scripts/jmh.sh}.
 */
public final class JmhTable {
    private JmhTable() {}

    public static void main(String[] args) throws RunnerException {
        String include = args.length > 0 ? args[0] : JmhTable.class.getPackageName() + "\\.";
        OptionsBuilder b = new OptionsBuilder();
        b.include(include).forks(1)
                .warmupIterations(2).warmupTime(TimeValue.seconds(1))
                .measurementIterations(3).measurementTime(TimeValue.seconds(1));
        if (args.length > 1) b.output(args[1]);
        Options options = b.build();
        Collection<RunResult> results = new Runner(options).run();
        System.out.println(table(results));
    }

    static String table(Collection<RunResult> results) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"benchmark", "params", "us/op", "GB/s", "GFLOP/s"});
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            String name = p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.', p.getBenchmark().lastIndexOf('.') - 1) + 1);
            StringBuilder params = new StringBuilder();
            for (String k : p.getParamsKeys()) params.append(params.length() == 0 ? "" : " ").append(k).append('=').append(p.getParam(k));
            double opsPerSecond = r.getPrimaryResult().getScore(); // Mode.Throughput, ops/s
            Map<String, Result> aux = r.getSecondaryResults();
            rows.add(new String[] {name, params.toString(), String.format("%.1f", 1e6 / opsPerSecond),
                rate(aux.get("bytes")), rate(aux.get("flops"))});
        }
        int[] width = new int[5];
        for (String[] row : rows) for (int i = 0; i < 5; i++) width[i] = Math.max(width[i], row[i].length());
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            sb.append(String.format("%-" + width[0] + "s  %-" + width[1] + "s", row[0], row[1]));
            for (int i = 2; i < 5; i++) sb.append(String.format("  %" + width[i] + "s", row[i]));
            sb.append('\n');
        }
        return sb.toString().stripTrailing();
    }

    /** A Traffic counter's rate (per second, since every benchmark reports in seconds) in units of 1e9. */
    private static String rate(Result counter) {
        return counter == null ? "-" : String.format("%.2f", counter.getScore() / 1e9);
    }
}
