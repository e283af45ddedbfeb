package diffpure.jobs.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import diffpure.attack.Apgd;
import diffpure.attack.Attack;
import diffpure.attack.AttackContext;
import diffpure.attack.AttackResult;
import diffpure.attack.BudgetCheckpoints;
import diffpure.attack.Checkpoint;
import diffpure.attack.Composition;
import diffpure.attack.DiffHammer;
import diffpure.attack.FabTargeted;
import diffpure.attack.Lf;
import diffpure.attack.Pgd;
import diffpure.attack.Square;
import diffpure.attack.ThreatModel;
import diffpure.data.Batch;
import diffpure.data.ImageDataset;
import diffpure.gradient.DefendedModel;
import diffpure.gradient.DeviationLoss;
import diffpure.gradient.GradientGrafting;
import diffpure.gradient.GradientMode;
import diffpure.gradient.GradientModes;
import diffpure.gradient.GradientOptions;
import diffpure.gradient.SurrogateGradient;
import diffpure.gradient.TargetModel;
import diffpure.gradient.UndefendedModel;
import diffpure.model.Classifier;
import diffpure.model.PtClassifier;
import diffpure.model.PtPerceptualModel;
import diffpure.model.PtScoreModel;
import diffpure.model.synthetic.AnalyticDefence;
import diffpure.noise.Purpose;
import diffpure.torch.PtAutograd;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * One attack on the first N images, undefended or DiffPure-defended, printing clean and robust
 * accuracy (robust = correct on the clean image and on the returned one, AutoAttack's count): the
 * project's side of the parity runs against the reference harnesses in BENCHMARKS.md.
 */
@Command(
        name = "attack",
        mixinStandardHelpOptions = true,
        description = "Run one attack on the first N images and print clean and robust accuracy.")
public final class AttackCommand implements Callable<Integer> {
    @Mixin ModelOptions models;

    @Option(
            names = "--attack",
            defaultValue = "apgd-ce",
            description =
                    "apgd-ce, apgd-dlr, apgd-t, fab-t, square, standard, rand, pgd-eot (sign step"
                            + " eps/4), diffattack (APGD-CE then APGD-DLR with DiffAttack's"
                            + " deviation term; needs a defence), lf (DiffBreak's low-frequency"
                            + " attack; --norm lpips), diffhammer (3 restarts of 50 iterations,"
                            + " --evaluations copies, --grafting; needs a defence and --eot 1)")
    String attack;

    @Option(
            names = "--evaluations",
            defaultValue = "10",
            description = "with --attack diffhammer: N, purified copies per iteration")
    int evaluations;

    @Option(
            names = "--grafting",
            defaultValue = "coarse",
            description =
                    "with --attack diffhammer: coarse (the coarse chain's own states) or authors"
                            + " (the official fine-chain states); differ only on a coarser grid"
                            + " (--gradient-mode surrogate)")
    String grafting;

    @Option(
            names = "--norm",
            defaultValue = "linf",
            description = "linf, l2, or lpips (--attack lf, measured by --perceptual)")
    String norm;

    @Option(
            names = "--perceptual",
            description =
                    "with --norm lpips: the perceptual model (kind perceptual, e.g. LPIPS-VGG from"
                            + " tools/export_model.py lpips-vgg) that measures the bound")
    Path perceptual;

    @Option(
            names = "--early-stop",
            defaultValue = "success-fraction",
            description =
                    "with --attack lf: success-fraction (every fresh copy wrong) or plurality"
                            + " (DiffBreak's: the most frequent label is wrong)")
    String earlyStop;

    @Option(names = "--epsilon", required = true, description = "attack radius, e.g. 0.03 or 8/255")
    String eps;

    @Option(
            names = "--iterations",
            description = "override the preset's iterations (queries for square)")
    Integer iterations;

    @Option(names = "--n", defaultValue = "500", description = "number of test images")
    int n;

    @Option(names = "--batch", defaultValue = "100", description = "images per batch")
    int batch;

    @Option(names = "--seed", defaultValue = "0", description = "run seed")
    long seed;

    @Option(names = "--defended", description = "attack the DiffPure-defended classifier")
    boolean defended;

    @Option(
            names = "--defence",
            defaultValue = "models",
            description =
                    "models (the --score-model and --classifier files, purified with --defended) or"
                            + " analytic (Gaussian-mixture data, its exact score and Bayes"
                            + " classifier, always purified: diffpure.model.synthetic.AnalyticDefence)")
    String defence;

    @Option(
            names = "--data-seed",
            defaultValue = "0",
            description = "seed of the analytic defence's samples (with --defence analytic)")
    long dataSeed;

    @Option(
            names = "--gradient-mode",
            defaultValue = "exact",
            description = "gradient mode (with --defended)")
    String gradientMode;

    @Option(
            names = "--surrogate-steps",
            defaultValue = "0",
            description =
                    "with --gradient-mode surrogate: N_s, the steps of the coarser chain the"
                            + " gradient goes through (1 .. the defence's steps)")
    int surrogateSteps;

    @Option(
            names = "--surrogate-noise",
            defaultValue = "summed",
            description =
                    "with --gradient-mode surrogate: summed (the defence's Brownian increments"
                            + " summed per coarse step) or independent (fresh noise, Lee & Kim)")
    String surrogateNoise;

    @Option(
            names = "--surrogate-evaluation",
            defaultValue = "defence",
            description =
                    "with --gradient-mode surrogate: defence (iterates judged on the defence chain)"
                            + " or checkpoints (on the surrogate copies; the defence votes only at"
                            + " --checkpoints and on the returned image; no early stop)")
    String surrogateEvaluation;

    @Option(
            names = "--deviation-weight",
            defaultValue = "1",
            description =
                    "with --attack diffattack: lambda of the deviated-reconstruction term (1:"
                            + " DiffBreak's weighting; 0: rand bit for bit)")
    double deviationWeight;

    @Option(
            names = "--deviation-steps",
            defaultValue = "0",
            description =
                    "with --attack diffattack: intermediate states sampled per row and draw (0:"
                            + " all)")
    int deviationSteps;

    @Option(
            names = "--re-evaluations",
            defaultValue = "0",
            description =
                    "with --attack rand: R, ADDT's re-evaluated AutoAttack (each candidate image"
                            + " classified R times, kept when its correct share is strictly"
                            + " lower); prints the mean share beside R fresh votes of the chosen"
                            + " images")
    int reEvaluations;

    @Option(
            names = "--checkpoints",
            split = ",",
            description =
                    "budget checkpoints (cumulative iterations, e.g. 5,10,20,50; PGD and APGD): the"
                            + " best iterate at each gets the same vote as the final image, written"
                            + " to --per-sample as adv_pred_at_<b> and gradients_at_<b>")
    List<Integer> checkpoints = List.of();

    @Option(
            names = "--per-sample",
            description =
                    "write one CSV row per image (id, label, clean and adversarial prediction) to"
                            + " this file, for paired tests such as McNemar's")
    Path perSample;

    @Option(
            names = "--eot",
            defaultValue = "1",
            description = "EOT copies per gradient (with --defended)")
    int eot;

    @Option(
            names = "--micro-batch-rows",
            defaultValue = "0",
            description =
                    "most rows (images x EOT) per model call of a gradient (0: the whole batch in"
                            + " one call); results do not depend on it")
    int microBatchRows;

    @Option(
            names = "--profile",
            description =
                    "sample this thread with the JDK flight recorder during the attack and print"
                            + " where its time went (model calls, noise, copies, bookkeeping, GC)")
    boolean profile;

    @Override
    public Integer call() {
        models.applyThreads();
        if ((perceptual != null) != norm.equals("lpips")) {
            throw new IllegalArgumentException(
                    "--perceptual goes with --norm lpips (and only with it)");
        }
        boolean analytic = analytic();
        try (PtPerceptualModel net =
                        perceptual == null
                                ? null
                                : PtPerceptualModel.load(perceptual, models.device(), c -> {});
                PtClassifier clf = analytic ? null : models.loadClassifier();
                PtScoreModel scoreModel = defended && !analytic ? models.loadScoreModel() : null;
                NDManager manager = NDManager.newBaseManager(models.device())) {
            Attack a = attack(net);
            AnalyticDefence exactScore = analytic ? AnalyticDefence.standard(manager) : null;
            ImageDataset data =
                    analytic ? exactScore.data(n, dataSeed) : models.loadData(clf.classes());
            TargetModel target = target(exactScore, clf, scoreModel);
            System.out.printf(
                    "%s on %s, %s eps %s, %d images%n", a.name(), target.describe(), norm, eps, n);
            if (target instanceof DefendedModel d && d.mode() instanceof SurrogateGradient s) {
                System.out.println(s.cost(d.purifier()));
            }
            int count = Math.min(n, data.size());
            AttackTally tally = new AttackTally(checkpoints, new ReEvaluatedFigures(reEvaluations));
            AttackContext context =
                    AttackContext.of(seed).withCheckpoints(BudgetCheckpoints.at(checkpoints));
            long t0 = System.nanoTime();
            for (int from = 0; from < count; from += batch) {
                try (NDManager scope = manager.newSubManager()) {
                    Batch b = Batch.of(scope, data, from, Math.min(batch, count - from));
                    attackBatch(a, target, b, context, tally);
                }
                tally.progress(Math.min(count, from + batch), count, t0);
            }
            tally.summary(count, (System.nanoTime() - t0) / 1e9);
            if (perSample != null) {
                writeAtomically(perSample, tally.rows.toString());
                System.out.println("per-sample rows written to " + perSample);
            }
        }
        return 0;
    }

    /** The attack of --attack, --norm, --epsilon and --iterations (lf bounded by net). */
    private Attack attack(PtPerceptualModel net) {
        double radius = parseEps(eps);
        ThreatModel threat =
                switch (norm) {
                    case "linf" -> ThreatModel.linf(radius);
                    case "l2" -> ThreatModel.l2(radius);
                    case "lpips" -> ThreatModel.lpips(radius);
                    default ->
                            throw new IllegalArgumentException(
                                    "--norm must be linf, l2 or lpips, found '" + norm + "'");
                };
        if (attack.equals("lf") != norm.equals("lpips")) {
            throw new IllegalArgumentException(
                    "--attack lf takes --norm lpips, and --norm lpips only --attack lf");
        }
        if (!attack.equals("lf") && !earlyStop.equals("success-fraction")) {
            throw new IllegalArgumentException("--early-stop is for --attack lf only");
        }
        Attack a =
                switch (attack) {
                    case "apgd-ce" -> Apgd.ce(threat);
                    case "apgd-dlr" -> Apgd.dlr(threat);
                    case "apgd-t" -> Apgd.targeted(threat);
                    case "fab-t" -> FabTargeted.standard(threat);
                    case "square" -> Square.standard(threat);
                    case "standard" -> Composition.autoAttackStandard(threat);
                    case "rand" ->
                            Composition.autoAttackRand(threat).withReEvaluations(reEvaluations);
                    case "diffattack" ->
                            Composition.diffAttack(
                                    threat, new DeviationLoss(deviationWeight, deviationSteps));
                    case "pgd-eot" -> Pgd.signEpsOver4(threat, 10);
                    case "diffhammer" ->
                            DiffHammer.official(
                                    threat, evaluations, GradientGrafting.States.parse(grafting));
                    case "lf" ->
                            Lf.diffBreak(radius, Lf.EarlyStop.byLabel(earlyStop)).withNetwork(net);
                    default ->
                            throw new IllegalArgumentException(
                                    "--attack: unknown attack '" + attack + "'");
                };
        if (!attack.equals("diffattack") && (deviationWeight != 1 || deviationSteps != 0)) {
            throw new IllegalArgumentException(
                    "--deviation-weight and --deviation-steps are for --attack diffattack only");
        }
        if (!attack.equals("rand") && reEvaluations != 0) {
            throw new IllegalArgumentException("--re-evaluations is for --attack rand only");
        }
        return iterations == null ? a : a.withIterations(iterations);
    }

    /** --defence: true for the analytic defence. */
    private boolean analytic() {
        return switch (defence) {
            case "models" -> false;
            case "analytic" -> true;
            default ->
                    throw new IllegalArgumentException(
                            "--defence must be models or analytic, found '" + defence + "'");
        };
    }

    /** The model the attack queries: the analytic defence, DiffPure, or the bare classifier. */
    private TargetModel target(
            AnalyticDefence exactScore, PtClassifier clf, PtScoreModel scoreModel) {
        if (exactScore == null && !defended) {
            return new UndefendedModel(clf);
        }
        Classifier classifier = exactScore != null ? exactScore.classifier() : clf;
        return new DefendedModel(
                        exactScore != null
                                ? exactScore.purifier(models.spec())
                                : models.purifier(scoreModel, clf),
                        classifier,
                        gradientMode(),
                        eot,
                        microBatchRows,
                        seed)
                .withNoiseWorkers(models.noiseWorkers());
    }

    /** Attacks one batch and tallies its clean, adversarial and checkpoint predictions. */
    private void attackBatch(
            Attack a, TargetModel target, Batch b, AttackContext context, AttackTally tally) {
        long[] ids = b.ids();
        long[] cleanPred = predict(target, b.images(), ids);
        NDArray labels = b.labels();
        int[] y = labels.toType(DataType.INT32, false).toIntArray();
        long attackStart = System.nanoTime();
        AttackResult result;
        if (profile && tally.attackProfile == null) { // the first batch, the JVM warm
            try (LoopProfile p = LoopProfile.start()) {
                result = a.run(target, b.images(), labels, ids, context);
                tally.attackProfile = p.finish();
            }
        } else {
            result = a.run(target, b.images(), labels, ids, context);
        }
        tally.attackNanos += System.nanoTime() - attackStart;
        tally.reEvaluated.add(result, target, ids, y);
        long[] advPred = predict(target, result.adversarial(), ids);
        // each checkpoint's image gets the final image's vote (same noise keys)
        List<long[]> atPred = new ArrayList<>();
        for (Checkpoint cp : result.checkpoints()) {
            atPred.add(
                    predict(
                            target,
                            b.images().getManager().create(cp.images(), b.images().getShape()),
                            ids));
        }
        tally.add(y, ids, cleanPred, advPred, atPred, result);
    }

    /** --gradient-mode, with surrogate's settings. */
    private GradientMode gradientMode() {
        if (SurrogateGradient.Evaluation.parse(surrogateEvaluation)
                        == SurrogateGradient.Evaluation.CHECKPOINTS
                && !gradientMode.equals("surrogate")) {
            throw new IllegalArgumentException(
                    "--surrogate-evaluation checkpoints is for --gradient-mode surrogate, found "
                            + gradientMode);
        }
        return GradientModes.byName(
                gradientMode,
                new GradientOptions(
                        surrogateSteps,
                        SurrogateGradient.Noise.parse(surrogateNoise),
                        SurrogateGradient.Evaluation.parse(surrogateEvaluation)));
    }

    /** One evaluation (vote 1 of the scoring purpose) per image. */
    private static long[] predict(TargetModel target, NDArray x, long[] ids) {
        try (PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            return target.logits(x, ids, Purpose.VOTE_ADVERSARIAL, 0, 1)
                    .squeeze(1)
                    .argMax(1)
                    .toLongArray();
        }
    }

    /** Temp file then rename, so a killed run never leaves a half-written table behind. */
    private static void writeAtomically(Path target, String text) {
        try {
            Path dir = target.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(
                    tmp,
                    target,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write --per-sample file " + target, e);
        }
    }

    private static double parseEps(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        try {
            return slash < 0
                    ? Double.parseDouble(t)
                    : Double.parseDouble(t.substring(0, slash))
                            / Double.parseDouble(t.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "--epsilon must be a number or a fraction, found '" + text + "'", e);
        }
    }
}
