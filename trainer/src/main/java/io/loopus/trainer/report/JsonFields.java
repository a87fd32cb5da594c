package io.loopus.trainer.report;

import com.fasterxml.jackson.databind.JsonNode;

/** Field reads that turn a missing or null number into NaN, so a partial line still draws what it has. */
final class JsonFields {
    private JsonFields() {}

    static double number(JsonNode o, String field) {
        JsonNode n = o.path(field);
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    static int integer(JsonNode o, String field, int missing) {
        JsonNode n = o.path(field);
        return n.isNumber() ? n.asInt() : missing;
    }

    static double[] numbers(JsonNode array) {
        double[] v = new double[array.size()];
        for (int i = 0; i < v.length; i++) v[i] = array.get(i).isNumber() ? array.get(i).asDouble() : Double.NaN;
        return v;
    }
}
