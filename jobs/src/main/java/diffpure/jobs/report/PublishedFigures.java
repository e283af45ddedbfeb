package diffpure.jobs.report;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Robust accuracies published for the paper presets (docs/paper-settings.md), by experiment name (a
 * nightly preset's name ends in {@code -nightly}): what a strongest-evidence figure is read against
 * (CIFAR-10 Linf 8/255 at DiffPure t* = 0.1, but DiffHammer's official defence and LF's LPIPS
 * bound).
 */
final class PublishedFigures {
    private static final Map<String, List<String>> BY_EXPERIMENT = new LinkedHashMap<>();

    static {
        BY_EXPERIMENT.put(
                "cifar10-linf-wrn28-10",
                List.of("DiffPure paper (Nie et al., ICML 2022), AutoAttack rand: 70.64%"));
        BY_EXPERIMENT.put(
                "cifar10-linf-wrn70-16",
                List.of("DiffPure paper (Nie et al., ICML 2022), AutoAttack rand: 71.29%"));
        BY_EXPERIMENT.put(
                "cifar10-diffattack-wrn28-10",
                List.of("DiffAttack (Kang et al., NeurIPS 2023), WRN-28-10: 46.88%"));
        BY_EXPERIMENT.put(
                "cifar10-diffattack-wrn70-16",
                List.of("DiffAttack (Kang et al., NeurIPS 2023), WRN-70-16: 45.31%"));
        BY_EXPERIMENT.put(
                "cifar10-autoattack-reeval-wrn28-10",
                List.of(
                        "re-evaluated AutoAttack (Liu et al., ICLR 2025, as quoted), WRN-28-10:"
                                + " 56.25%"));
        BY_EXPERIMENT.put(
                "cifar10-diffhammer-wrn70-16",
                List.of(
                        "DiffHammer (Wang et al., NeurIPS 2024), WRN-70-16 on its official defence:"
                                + " 42.54% average, 22.66% worst case"));
        BY_EXPERIMENT.put(
                "cifar10-lf-wrn70-16",
                List.of(
                        "DiffBreak LF (Kassis et al., arXiv 2411.16598), WRN-70-16, majority vote:"
                                + " 2.73-3.13%"));
        BY_EXPERIMENT.put(
                "cifar10-diffbreak-wrn70-16",
                List.of(
                        "DiffBreak (Kassis et al., arXiv 2411.16598), WRN-70-16, exact gradients:"
                                + " 17.19% worst of 10, 39.45% majority of 10"));
    }

    private PublishedFigures() {}

    /** The published figures of these experiments' presets, each once, in preset order. */
    static List<String> of(Collection<String> experiments) {
        List<String> out = new ArrayList<>();
        BY_EXPERIMENT.forEach(
                (name, figures) -> {
                    if (experiments.contains(name) || experiments.contains(name + "-nightly")) {
                        out.addAll(figures);
                    }
                });
        return out;
    }
}
