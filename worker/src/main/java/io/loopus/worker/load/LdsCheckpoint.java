package io.loopus.worker.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.worker.io.AtomicFiles;
import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.HalfMatrix;
import io.loopus.worker.tensor.Matrix;
import io.loopus.worker.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Random;

/**
 * LoopUS checkpoints in the reference's {@code save_pretrained} layout (DESIGN §4): a directory
 * with {@code config.json} ({@code model_type "lds"}), {@code model.safetensors}, the tokenizer
 * files and a {@code generation_config.json} (the stop ids; the reference ignores it). A base with
 * llama2.c's interleaved RoPE is written with its q/k rows in Hugging Face order, so it reads back
 * as a rotate-half model that computes the same logits, and loads in the reference as well.
 */
public final class LdsCheckpoint {
    private LdsCheckpoint() {}

    /**
     * Where the base came from: its name or path, and its own Hugging Face config (null: none, one
     * is synthesised for a plain Llama when writing).
     */
    public record Origin(String baseModelNameOrPath, ObjectNode baseConfigDict) {
        public static final Origin NONE = new Origin("", null);

        public Origin {
            Objects.requireNonNull(baseModelNameOrPath, "baseModelNameOrPath");
        }

        /** A base model as {@code --model} names it: a directory's config.json is kept; a llama2.c file has none. */
        public static Origin of(Path model) {
            Path config = model.resolve("config.json");
            ObjectNode dict = Files.isDirectory(model) ? (ObjectNode) HfConfig.readJson(config) : null;
            return new Origin(model.toString(), dict);
        }
    }

    /** What config.json (and generation_config.json) say, before any weight is read. */
    public record Header(LlamaConfig base, LoopusConfig loop, Origin origin) {}

    /** A whole checkpoint in memory. The base config never ties the LM head to the embedding. */
    public record Loaded(LlamaConfig base, LoopusWeights weights, LoopusConfig loop, Origin origin) {
        public Loaded withLoop(LoopusConfig newLoop) {
            return new Loaded(base, weights, newLoop, origin);
        }

        public Loaded withOrigin(Origin newOrigin) {
            return new Loaded(base, weights, loop, newOrigin);
        }

        public LoopusModel model(Backend backend) {
            return new LoopusModel(base, weights, loop, backend);
        }

        /** For logs: {@code loopus lds (llama) split 1:4 N=4}. */
        public String describe() {
            return "loopus lds (" + base.architecture() + ") split " + loop.split() + " N=" + loop.loops();
        }
    }

    /** Whether {@code path} is a directory whose config.json says {@code model_type: "lds"}. */
    public static boolean isCheckpoint(Path path) {
        Path config = path.resolve("config.json");
        return Files.isDirectory(path) && Files.isRegularFile(config)
                && LdsConfigJson.MODEL_TYPE.equals(HfConfig.readJson(config).path("model_type").asText());
    }

    public static Header header(Path dir) {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) throw new ModelFormatException(dir, "not a checkpoint directory: no config.json");
        Path genFile = dir.resolve("generation_config.json");
        JsonNode gen = Files.isRegularFile(genFile) ? HfConfig.readJson(genFile) : MissingNode.getInstance();
        return LdsConfigJson.parse(configFile, HfConfig.readJson(configFile), gen);
    }

    public static Loaded read(Path dir) {
        return read(dir, header(dir));
    }

    /** The weights of a checkpoint whose header has been read. */
    public static Loaded read(Path dir, Header h) {
        Path file = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, "missing (loopus reads a LoopUS checkpoint's weights from model.safetensors)");
        }
        return new Loaded(h.base(), LdsTensors.read(file, h.base(), h.loop().split()), h.loop(), h.origin());
    }

    public static LoopusModel model(Loaded checkpoint, Backend backend) {
        return checkpoint.model(backend);
    }

    /**
     * A new checkpoint from a base model (DESIGN §1): the gate and confidence head at their
     * initial values (drawn from {@code new Random(seed)}), the reference's default exit rule, and
     * an untied LM head (a copy of the embedding when the base ties them, as the reference unties it).
     */
    public static Loaded initial(LlamaConfig c, LlamaWeights w, Split split, int loops, long seed) {
        return initial(c, w, split, loops, seed, false);
    }

    /** @param nearIdentity the gate starts at Abar = 0.999 ({@link GateWeights#nearIdentity}) instead of the reference's draw */
    public static Loaded initial(LlamaConfig c, LlamaWeights w, Split split, int loops, long seed, boolean nearIdentity) {
        Random random = new Random(seed);
        GateWeights gate = nearIdentity ? GateWeights.nearIdentity(c.dim(), random) : GateWeights.initial(c.dim(), random);
        ConfidenceHead head = ConfidenceHead.initial(c.dim(), random);
        boolean tied = c.tiedEmbeddings() || w.lmHead() == w.embedding();
        LlamaWeights base = tied ? new LlamaWeights(w.embedding(), w.layers(), w.finalNorm(), copy(w.embedding())) : w;
        LlamaConfig untied = new LlamaConfig(c.architecture(), c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(),
                c.headDim(), c.vocabSize(), c.contextLength(), c.normEps(), c.ropeTheta(), c.ropeScaling(), c.rope(),
                c.qkvBias(), c.qkNorm(), false, c.bosId(), c.eosIds());
        return new Loaded(untied, new LoopusWeights(base, gate, head), LoopusConfig.defaults(split, loops), Origin.NONE);
    }

    /**
     * Writes the checkpoint to {@code out}, which must be missing or an empty directory; it appears
     * whole or not at all. The tokenizer files are written when {@code tokenizer} is not null
     * ({@code tokenizerPath} is where it was read from).
     */
    public static void write(Loaded checkpoint, Tokenizer tokenizer, Path tokenizerPath, Path out) {
        Path target = out.toAbsolutePath().normalize();
        HfExporter.checkTarget(target);
        ObjectNode config = LdsConfigJson.write(checkpoint); // first: it refuses a base it cannot describe
        LlamaConfig c = checkpoint.base();
        try {
            AtomicFiles.writeDirectory(target, dir -> {
                HfExporter.writeJson(dir.resolve("config.json"), config);
                HfExporter.writeJson(dir.resolve("generation_config.json"), HfExporter.generationConfig(c));
                LdsTensors.writer(c, checkpoint.weights(), checkpoint.loop().split()).write(dir.resolve("model.safetensors"));
                if (tokenizer != null) HfExporter.tokenizer(tokenizer, tokenizerPath, c, dir);
                HfExporter.checkTarget(target); // someone may have created it meanwhile
            });
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write the checkpoint: " + e.getMessage(), e);
        }
    }

    private static Matrix copy(Matrix m) {
        return m instanceof F32Matrix f ? new F32Matrix(m.rows(), m.cols(), f.data().clone())
                : new HalfMatrix(m.rows(), m.cols(), ((HalfMatrix) m).data().clone(), m.dtype());
    }
}
