package io.loopus.server.client;

import io.loopus.proto.v1.GenerateRequest;
import io.loopus.proto.v1.TokenTrace;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/** {@code generate --server}: one Generate stream, printed like the offline command prints its run. */
public final class RemoteGenerate {
    private final ServerAddress server;
    private final boolean json;
    private final PrintStream out;
    private final PrintStream err;

    public RemoteGenerate(ServerAddress server, boolean json, PrintStream out, PrintStream err) {
        this.server = server;
        this.json = json;
        this.out = out;
        this.err = err;
    }

    /** @return the exit code: 0, or 2 when the call failed (the error is printed) */
    public int run(String prompt, GenerateRequest request) throws InterruptedException {
        boolean[] started = {false};
        StreamedGeneration g;
        try (Clients clients = Clients.connect(server)) {
            g = StreamedGeneration.run(clients.client(), request, clients.system(), m -> {
                if (json) return;
                if (!started[0]) out.print(prompt); // as offline generate does; not before the server answered
                started[0] = true;
                out.print(m.getText());
                out.flush();
            }).toCompletableFuture().get();
        } catch (ExecutionException e) {
            if (started[0]) out.println();
            err.println("loopus generate: error: " + GrpcErrors.describe(e));
            return 2;
        }
        int n = g.ids().size();
        double tokS = n / Math.max(g.seconds(), 1e-9);
        String finish = ClientJson.finishReason(g.finishReason());
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("ids", g.ids());
            o.put("text", g.text());
            o.put("finish_reason", finish);
            o.put("usage", ClientJson.usage(g.usage()));
            o.put("tokens_per_second", tokS);
            if (request.getTrace()) o.put("trace", ClientJson.trace(g.ids(), g.trace()));
            out.println(ClientJson.write(o));
        } else {
            out.println();
            if (request.getTrace()) printTrace(g.ids(), g.trace());
            err.printf("%d tokens, %.1f tok/s (%s)%n", n, tokS, finish);
        }
        return 0;
    }

    private void printTrace(List<Integer> ids, List<TokenTrace> trace) {
        err.println("token  depth  q per loop");
        for (int i = 0; i < trace.size(); i++) {
            StringBuilder q = new StringBuilder();
            for (float v : trace.get(i).getConfidenceList()) {
                q.append(q.isEmpty() ? "" : " ").append(Float.isNaN(v) ? "-" : String.format("%.3f", v));
            }
            err.printf("%5s  %5d  %s%n", i < ids.size() ? ids.get(i) : "?", trace.get(i).getExitDepth(), q);
        }
    }
}
