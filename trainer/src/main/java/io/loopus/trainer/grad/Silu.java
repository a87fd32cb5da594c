package io.loopus.trainer.grad;

/** {@code silu(x) = x sigmoid(x)} of a scalar, and its derivative {@code sigmoid(x) (1 + x (1 - sigmoid(x)))}. */
public final class Silu {
    private Silu() {}

    public static double value(double x) { return x * sigmoid(x); }

    public static double derivative(double x) {
        double s = sigmoid(x);
        return s * (1 + x * (1 - s));
    }

    public static double sigmoid(double x) { return 1 / (1 + Math.exp(-x)); }
}
