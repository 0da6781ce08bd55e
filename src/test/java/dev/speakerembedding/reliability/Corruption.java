package dev.speakerembedding.reliability;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** Damage done to a cached file while no server runs: what a bad disk, a full disk or a stray process leaves. */
enum Corruption {
    /** Cut to a (seeded) random length shorter than the file. */
    TRUNCATE,
    /** One (seeded) random bit flipped; size unchanged, so only a hash can tell. */
    FLIP_BIT;

    /** Applies this damage to {@code file} (through symlinks, to the blob itself); returns what was done. */
    String apply(Path file, long seed) throws IOException {
        Path real = file.toRealPath();
        String name = real.getFileName().toString();
        String shown = name.matches("[0-9a-f]{40,64}") ? "blob " + name.substring(0, 10) + "..." : name;
        SplittableRandom rnd = new SplittableRandom(seed);
        long size = Files.size(real);
        try (RandomAccessFile raf = new RandomAccessFile(real.toFile(), "rw")) {
            if (this == TRUNCATE) {
                long keep = size <= 1 ? 0 : rnd.nextLong(size);
                raf.setLength(keep);
                return "truncated " + shown + " from " + size + " to " + keep + " bytes";
            }
            long bit = rnd.nextLong(size * 8);
            raf.seek(bit / 8);
            int b = raf.read();
            raf.seek(bit / 8);
            raf.write(b ^ (1 << (bit % 8)));
            return "flipped bit " + (bit % 8) + " of byte " + (bit / 8) + " of " + shown + " (" + size
                    + " bytes)";
        }
    }

    /** A copy of a cache directory, symlinks kept as symlinks (the layout is part of what is tested). */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isSymbolicLink(p)) {
                    Files.createDirectories(target.getParent());
                    Files.createSymbolicLink(target, Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
