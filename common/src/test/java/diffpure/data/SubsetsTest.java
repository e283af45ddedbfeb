package diffpure.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SubsetsTest {
    @Test
    void matchesAnIndependentImplementationOfTheDocumentedRule() {
        // Values from a separate Python implementation of the rule written from Subsets' class
        // comment.
        assertArrayEquals(new int[] {5, 7, 4, 6, 0, 9, 2, 1, 8, 3}, Subsets.permutation(10, 42));
        assertArrayEquals(
                new int[] {7, 1, 11, 3, 2, 0, 5, 8, 6, 10, 9, 4}, Subsets.permutation(12, -7));
        assertArrayEquals(
                new int[] {164, 438, 583, 652, 787, 829, 831, 878}, Subsets.select(1000, 8, 2022));
    }

    @Test
    void inOrderHoldsTheSelectedIndicesInPermutationOrderAndExtends() {
        assertArrayEquals(new int[] {5, 7, 4, 6}, Subsets.inOrder(10, 4, 42));
        int[] a = Subsets.inOrder(10_000, 512, 7);
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        assertArrayEquals(Subsets.select(10_000, 512, 7), sorted);
        assertArrayEquals(a, Arrays.copyOf(Subsets.inOrder(10_000, 2048, 7), 512));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Subsets.inOrder(10, 11, 1));
        assertEquals(
                "subset: 11 samples do not fit a data set of 10 samples; lower the subset size",
                e.getMessage());
    }

    @Test
    void paperSizedSubsetIsSortedDistinctAndDeterministic() {
        int[] a = Subsets.select(10_000, Subsets.PAPER_COUNT, 7);
        assertEquals(512, a.length);
        for (int i = 1; i < a.length; i++) {
            assertTrue(a[i - 1] < a[i], "not sorted and distinct at " + i);
        }
        assertTrue(a[0] >= 0 && a[a.length - 1] < 10_000);
        assertArrayEquals(a, Subsets.select(10_000, 512, 7));
        assertFalse(Arrays.equals(a, Subsets.select(10_000, 512, 8)));
    }

    @Test
    void disjointSlicesShareNoIndexAndCoverTheSet() {
        int size = 1000;
        Set<Integer> seen = new HashSet<>();
        for (int from = 0; from < size; from += 250) {
            for (int i : Subsets.slice(size, 99, from, 250)) {
                assertTrue(seen.add(i), "index " + i + " in two slices");
            }
        }
        assertEquals(size, seen.size());
    }

    @Test
    void largerSelectionExtendsSmallerOne() {
        Set<Integer> big = new HashSet<>();
        IntStream.of(Subsets.select(5000, 600, 3)).forEach(big::add);
        for (int i : Subsets.select(5000, 512, 3)) {
            assertTrue(big.contains(i), "index " + i);
        }
    }

    @Test
    void everyIndexIsAboutEquallyLikely() {
        // 2000 seeds x 10 picks from 50: each index expected 400 times, sd about 19.6.
        int[] hits = new int[50];
        for (long seed = 0; seed < 2000; seed++) {
            for (int i : Subsets.select(50, 10, seed)) {
                hits[i]++;
            }
        }
        for (int i = 0; i < 50; i++) {
            assertTrue(
                    Math.abs(hits[i] - 400) < 100, "index " + i + " picked " + hits[i] + " times");
        }
    }

    @Test
    void impossibleRequestsSayWhy() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Subsets.select(100, 512, 1));
        assertTrue(
                e.getMessage().contains("[0, 512)") && e.getMessage().contains("100 samples"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Subsets.slice(100, 1, 90, 20));
        assertThrows(IllegalArgumentException.class, () -> Subsets.permutation(-1, 1));
        assertEquals(0, Subsets.select(0, 0, 1).length);
    }
}
