package diffpure.torch;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Structure;

/**
 * Bytes the C allocator has handed out and not yet had back, from glibc's {@code mallinfo2()}
 * (in-use heap chunks of every arena plus mmapped blocks), through JNA. libtorch's CPU allocator
 * takes tensor memory from it, so the difference between two readings on a quiet thread is the
 * tensor memory allocated in between (plus whatever other threads did meanwhile).
 *
 * <p>Only on glibc 2.33 or later on 64-bit Linux; {@link #available()} says whether this process
 * has it.
 */
public final class NativeHeap {
    private NativeHeap() {}

    /** glibc's struct mallinfo2: ten size_t counters. */
    @Structure.FieldOrder({
        "arena",
        "ordblks",
        "smblks",
        "hblks",
        "hblkhd",
        "usmblks",
        "fsmblks",
        "uordblks",
        "fordblks",
        "keepcost"
    })
    public static class MallInfo2 extends Structure {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;

        /** By value, as mallinfo2 returns it. */
        public static class ByValue extends MallInfo2 implements Structure.ByValue {}
    }

    private interface LibC extends Library {
        MallInfo2.ByValue mallinfo2();
    }

    private static final class Holder {
        static final LibC LIBC = load();
        static final String WHY_NOT = LIBC == null ? reason() : null;

        private static LibC load() {
            if (!Platform.isLinux() || Native.SIZE_T_SIZE != 8) {
                return null;
            }
            try {
                LibC c = Native.load("c", LibC.class);
                c.mallinfo2();
                return c;
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                return null;
            }
        }

        private static String reason() {
            return "glibc's mallinfo2 is not available here (it needs 64-bit Linux with glibc >= 2.33;"
                    + " os "
                    + System.getProperty("os.name")
                    + ")";
        }
    }

    /** Whether this process can read the allocator's counters. */
    public static boolean available() {
        return Holder.LIBC != null;
    }

    /**
     * Bytes in use: allocated heap chunks of all arenas (uordblks) plus mmapped blocks (hblkhd).
     *
     * @throws UnsupportedOperationException when {@link #available()} is false
     */
    public static long inUseBytes() {
        if (Holder.LIBC == null) {
            throw new UnsupportedOperationException(Holder.WHY_NOT);
        }
        MallInfo2 m = Holder.LIBC.mallinfo2();
        return m.uordblks + m.hblkhd;
    }
}
