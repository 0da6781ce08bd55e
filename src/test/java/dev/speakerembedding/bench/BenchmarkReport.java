package dev.speakerembedding.bench;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns {@code results.properties} into the table (printed, and written as {@code results.md}) and the plot of
 * latency and throughput against concurrency ({@code latency-vs-concurrency.png}, drawn with Java2D).
 *
 * <p>{@code BenchmarkReport <dir>} re-renders an earlier run's results.
 */
public final class BenchmarkReport {

    private static final double MIB = 1024.0 * 1024.0;
    private static final int[] LEVELS = {1, 2, 4, 8};

    private BenchmarkReport() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/benchmark");
        render(BenchUtil.Results.read(dir.resolve("results.properties")), dir);
    }

    private record Row(String item, String measure, String figure, String against, String ratio, String target,
                       String status) {
    }

    static void render(BenchUtil.Results r, Path dir) throws IOException {
        List<Row> rows = rows(r);
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Benchmark of %s: %s cores, load average %.2f before and %.2f after,"
                        + " %s s%s%n%n", r.get("suite.started"), r.get("suite.cores"), r.number("suite.load_before"),
                r.number("suite.load_after"), r.get("suite.seconds"),
                "yes".equals(r.get("suite.quick")) ? " (QUICK RUN: fewer repetitions)" : ""));
        md.append("| Item | Measure | Figure | Compared with (same run) | Ratio | Target | Met |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (Row row : rows) {
            md.append("| ").append(String.join(" | ", row.item(), row.measure(), row.figure(), row.against(),
                    row.ratio(), row.target(), row.status())).append(" |\n");
        }
        Files.writeString(dir.resolve("results.md"), md.toString(), StandardCharsets.UTF_8);
        System.out.println();
        System.out.println(md.toString().lines().findFirst().orElse(""));
        printAligned(rows);
        Path png = dir.resolve("latency-vs-concurrency.png");
        if (r.has("http.c1.p50_ms")) {
            plot(r, png);
            System.out.println("\nTable: " + dir.resolve("results.md") + "\nPlot:  " + png + "\nAll figures: "
                    + dir.resolve("results.properties"));
        }
    }

    private static void printAligned(List<Row> rows) {
        String[] head = {"Item", "Measure", "Figure", "Compared with (same run)", "Ratio", "Target", "Met"};
        int[] w = new int[head.length];
        List<String[]> cells = new ArrayList<>();
        cells.add(head);
        for (Row row : rows) {
            cells.add(new String[]{row.item(), row.measure(), row.figure(), row.against(), row.ratio(), row.target(),
                    row.status()});
        }
        for (String[] c : cells) {
            for (int i = 0; i < c.length; i++) {
                w[i] = Math.max(w[i], c[i].length());
            }
        }
        for (int k = 0; k < cells.size(); k++) {
            String[] c = cells.get(k);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < c.length; i++) {
                line.append(String.format("%-" + w[i] + "s", c[i])).append(i < c.length - 1 ? "  " : "");
            }
            System.out.println(line.toString().stripTrailing());
            if (k == 0) {
                int total = 0;
                for (int x : w) {
                    total += x + 2;
                }
                System.out.println("-".repeat(total - 2));
            }
        }
    }

    private static String ms(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, v < 10 ? "%.2f ms" : "%.1f ms", v);
    }

    private static String s(double millis) {
        return Double.isNaN(millis) ? "n/a" : String.format(Locale.ROOT, "%.2f s", millis / 1000);
    }

    private static String x(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2fx", v);
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.0f %%", 100 * v);
    }

    private static String mib(double bytes) {
        return Double.isNaN(bytes) ? "n/a" : String.format(Locale.ROOT, "%.0f MiB", bytes / MIB);
    }

    /** "n/a" when a figure is missing (NaN) or degenerate (infinite, e.g. a ratio over a zero): never "yes". */
    private static String met(boolean ok, double... inputs) {
        for (double v : inputs) {
            if (!Double.isFinite(v)) {
                return "n/a";
            }
        }
        return ok ? "yes" : "NO";
    }

    private static List<Row> rows(BenchUtil.Results r) {
        List<Row> rows = new ArrayList<>();
        // 1. warm start
        double noApp = r.number("warmstart.noapp_ms");
        double app = r.number("warmstart.app_ms");
        double added = r.number("warmstart.added_ms");
        rows.add(new Row("1 start (warm cache)", "launch to /health/ready UP, no application", s(noApp),
                "", "", "", ""));
        rows.add(new Row("1 start (warm cache)", "launch to /health/ready UP, service with model", s(app),
                "no application", String.format(Locale.ROOT, "+%.2f s", added / 1000), "", ""));
        rows.add(new Row("1 start (warm cache)", "Liberty's log: server started (no app / with app), app deployed",
                String.format(Locale.ROOT, "%s / %s, %s", s(r.number("warmstart.noapp_server_log_ms")),
                        s(r.number("warmstart.app_server_log_ms")), s(r.number("warmstart.app_deploy_log_ms"))),
                "", "", "", ""));
        double model = r.number("warmstart.model_log_ms");
        rows.add(new Row("1 start (warm cache)", "of which the model: verification + session, by the service's log",
                s(model), "the whole difference", String.format(Locale.ROOT, "%.0f %%", 100 * model / added),
                "model adds <= 1.5 s", met(model <= 1500, model)));
        rows.add(new Row("1 start (in process)", "cache verification / conversion lookup / EcapaModel.load",
                String.format(Locale.ROOT, "%s / %s / %s", ms(r.number("warmload.verify_ms")),
                        ms(r.number("warmload.conversion_lookup_ms")), ms(r.number("warmload.load_ms"))),
                "", "", "", ""));
        // 2. first start
        double ratio = r.number("download.rate_ratio");
        rows.add(new Row("2 first start", "plain HTTP client, all model files from the stand-in",
                String.format(Locale.ROOT, "%.0f MB/s", r.number("download.plain_mb_s")), "", "", "", ""));
        rows.add(new Row("2 first start", "service fetcher (hash, fsync, verify)",
                String.format(Locale.ROOT, "%.0f MB/s", r.number("download.fetcher_mb_s")), "plain HTTP client",
                pct(ratio), ">= 80 %", met(ratio >= 0.8, ratio)));
        double syncRatio = r.number("download.plain_fsync_ms") / r.number("download.fetcher_ms");
        rows.add(new Row("2 first start", "service fetcher, against a plain client that also fsyncs",
                String.format(Locale.ROOT, "%.0f MB/s", r.number("download.fetcher_mb_s")),
                String.format(Locale.ROOT, "plain + fsync %.0f MB/s", r.number("download.plain_fsync_mb_s")),
                pct(syncRatio), "", ""));
        rows.add(new Row("2 first start", "of which: the closing re-verification of the snapshot",
                ms(r.number("download.verify_snapshot_ms")), "", "", "", ""));
        double convert = r.number("convert.ms");
        rows.add(new Row("2 first start", "conversion to ONNX (full checkpoint)", s(convert), "", "", "< 10 s",
                met(convert < 10000, convert)));
        rows.add(new Row("2 first start", "server launch to ready, empty cache (download+convert+load)",
                s(r.number("firststart.ready_ms")), "", "", "", ""));
        // 3. in process
        for (String clip : new String[]{"3s", "10s"}) {
            String k = "inproc." + clip;
            if (!r.has(k + ".pipeline_ms")) {
                continue;
            }
            String item = "3 in process " + clip;
            rows.add(new Row(item, "stages: decode / resample / fbank / ONNX Runtime (medians)",
                    String.format(Locale.ROOT, "%s / %s / %s / %s", ms(r.number(k + ".decode_ms")),
                            ms(r.number(k + ".resample_ms")), ms(r.number(k + ".fbank_ms")),
                            ms(r.number(k + ".onnx_ms"))), "", "", "", ""));
            double pb = r.number(k + ".pipeline_over_bare");
            rows.add(new Row(item, "whole pipeline from WAV bytes", ms(r.number(k + ".pipeline_ms")),
                    "bare OrtSession.run " + ms(r.number(k + ".bare_ms")), x(pb), "<= 1.10x", met(pb <= 1.10, pb)));
            double bf = r.number(k + ".bare_over_floor");
            rows.add(new Row(item, "bare OrtSession.run", ms(r.number(k + ".bare_ms")),
                    "MatMuls alone " + ms(r.number(k + ".floor_ms")), x(bf), "<= 1.50x", met(bf <= 1.5, bf)));
        }
        if (r.has("inproc.3s_44k1_stereo.pipeline_ms")) {
            String k = "inproc.3s_44k1_stereo";
            rows.add(new Row("3 in process 3s 44.1k stereo", "decode / resample / fbank / ONNX Runtime -> pipeline",
                    String.format(Locale.ROOT, "%s / %s / %s / %s -> %s", ms(r.number(k + ".decode_ms")),
                            ms(r.number(k + ".resample_ms")), ms(r.number(k + ".fbank_ms")),
                            ms(r.number(k + ".onnx_ms")), ms(r.number(k + ".pipeline_ms"))), "", "", "", ""));
        }
        for (String name : List.of("w1_service", "w2_service", "w4_service", "w8_service", "w1_allcores",
                "w2_allcores", "w1_intra1", "w2_intra1")) {
            String k = "inproc.tput." + name;
            if (r.has(k + ".rps")) {
                rows.add(new Row("3 in-process throughput 3s", r.get(k + ".options"),
                        String.format(Locale.ROOT, "%.2f req/s, p50 %s", r.number(k + ".rps"),
                                ms(r.number(k + ".p50_ms"))), name.equals(r.get("inproc.tput.best")) ? "(best)" : "",
                        "", "", ""));
            }
        }
        // 3b. one model of each sherpa-onnx family: front end against ONNX Runtime
        if (r.has("family.cpu_flags")) {
            rows.add(new Row("3b families", "CPU, session options", r.get("family.cpu") + ": "
                    + r.get("family.cpu_flags") + "; " + r.get("family.options"), "", "", "", ""));
        }
        for (String family : List.of("wespeaker", "3d-speaker", "nemo")) {
            String f = "family." + family;
            if (!r.has(f + ".params")) {
                continue;
            }
            rows.add(new Row("3b " + family, r.get(f + ".shape") + ", random weights",
                    String.format(Locale.ROOT, "%.2fM parameters, %.2f GMACs per 3 s", r.number(f + ".params") / 1e6,
                            r.number(f + ".gmacs_3s")), "", "", "", ""));
            for (String clip : new String[]{"3s", "10s"}) {
                String k = f + "." + clip;
                double share = r.number(k + ".frontend_over_onnx");
                rows.add(new Row("3b " + family + " " + clip,
                        "front end (decode / resample / fbank+norm) vs ONNX Runtime (medians)",
                        String.format(Locale.ROOT, "%s (%s / %s / %s)", ms(r.number(k + ".frontend_ms")),
                                ms(r.number(k + ".decode_ms")), ms(r.number(k + ".resample_ms")),
                                ms(r.number(k + ".fbank_ms"))), "ONNX Runtime " + ms(r.number(k + ".onnx_ms")),
                        Double.isNaN(share) ? "n/a" : String.format(Locale.ROOT, "%.1f %%", 100 * share), "< 5 %",
                        met(share < 0.05, share)));
            }
        }
        // 4. HTTP
        double inproc = r.number("inproc.3s.pipeline_ms");
        double best = r.number("inproc.tput.best_rps");
        for (int c : LEVELS) {
            String k = "http.c" + c;
            if (!r.has(k + ".rps")) {
                continue;
            }
            String figure = String.format(Locale.ROOT, "%.2f req/s, p50 %s, p99 %s, %d errors", r.number(k + ".rps"),
                    ms(r.number(k + ".p50_ms")), ms(r.number(k + ".p99_ms")), (long) r.number(k + ".errors"));
            rows.add(new Row("4 HTTP 3s, " + c + " client" + (c > 1 ? "s" : ""), "throughput, latency", figure,
                    "", "", "", ""));
            double readyP99 = r.number(k + ".ready_p99_ms");
            rows.add(new Row("4 HTTP 3s, " + c + " client" + (c > 1 ? "s" : ""), "/health/ready during the load",
                    String.format(Locale.ROOT, "p50 %s, p99 %s, max %s", ms(r.number(k + ".ready_p50_ms")),
                            ms(readyP99), ms(r.number(k + ".ready_max_ms"))), "", "", "p99 < 10 ms",
                    met(readyP99 < 10, readyP99)));
        }
        if (r.has("inproc.lone.service_over_best")) {
            double lone = r.number("inproc.lone.service_over_best");
            rows.add(new Row("3 lone request in process", "p50, service default (adaptive threads)",
                    ms(r.number("inproc.tput.w1_service.p50_ms")), "best single-request time "
                    + ms(r.number("inproc.lone.best_p50_ms")), x(lone), "<= 1.10x", met(lone <= 1.10, lone)));
        }
        // The lone in-process request of the same configuration, back to back as the HTTP client sends them.
        double lone = r.has("inproc.tput.w1_service.p50_ms") ? r.number("inproc.tput.w1_service.p50_ms") : inproc;
        double p50ratio = r.number("http.c1.p50_ms") / lone;
        rows.add(new Row("4 HTTP vs in process", "p50 at 1 client", ms(r.number("http.c1.p50_ms")),
                "in-process pipeline, 1 caller " + ms(lone), x(p50ratio), "<= 1.05x", met(p50ratio <= 1.05,
                p50ratio)));
        for (int c : new int[] {2, 4, 8}) {
            if (!r.has("http.c" + c + ".rps")) {
                continue;
            }
            double tputRatio = r.number("http.c" + c + ".rps") / best;
            rows.add(new Row("4 HTTP vs in process", "throughput at " + c + " clients",
                    String.format(Locale.ROOT, "%.2f req/s", r.number("http.c" + c + ".rps")),
                    String.format(Locale.ROOT, "best in-process %.2f req/s", best), pct(tputRatio), ">= 95 %",
                    met(tputRatio >= 0.95, tputRatio)));
        }
        // 3c. ways to share the cores (ThreadingBenchmark), bare ONNX Runtime runs
        for (String strategy : ThreadingBenchmark.STRATEGIES) {
            String k = "threads." + strategy;
            if (!r.has(k + ".c1.rps")) {
                continue;
            }
            StringBuilder figure = new StringBuilder();
            for (int c : ThreadingBenchmark.CALLERS) {
                figure.append(String.format(Locale.ROOT, "%s%d: %.1f/s (p50 %s)", c == 1 ? "" : ", ", c,
                        r.number(k + ".c" + c + ".rps"), ms(r.number(k + ".c" + c + ".p50_ms"))));
            }
            rows.add(new Row("3c threads", strategy + ": callers: runs/s", figure.toString(),
                    r.has("threads.cpu_flags") ? r.get("threads.cpu_flags") : "", "", "", ""));
        }
        // 5. memory
        double start = r.number("memory.rss_after_start");
        rows.add(new Row("5 memory", "RSS after start (ready, idle)", mib(start), "", "", "< 1 GiB",
                met(start < 1024 * MIB, start)));
        int total = (int) r.number("memory.soak.requests");
        List<String> trail = new ArrayList<>();
        double max = start;
        for (int n = 0; n <= total; n += Math.max(1, total / 5)) {
            double v = r.number("memory.soak.rss_after_" + n);
            if (!Double.isNaN(v)) {
                trail.add(String.format(Locale.ROOT, "%d: %.0f", n, v / MIB));
                max = Math.max(max, v);
            }
        }
        rows.add(new Row("5 memory", "RSS (MiB) after N requests, " + (long) r.number("memory.soak.clients")
                + " clients", String.join(", ", trail), "", "", "< 1 GiB", met(max < 1024 * MIB, max)));
        double second = r.number("memory.soak.rss_after_" + (2 * total / 5));
        double fifth = r.number("memory.soak.rss_after_" + total);
        double growth = fifth - second;
        rows.add(new Row("5 memory", "growth from request " + (2 * total / 5) + " to " + total,
                String.format(Locale.ROOT, "%+.1f MiB", growth / MIB), "", pct(growth / second),
                "no growth (< 2 %)", met(growth / second < 0.02, growth, second)));
        rows.add(new Row("5 memory", "RSS after the whole suite's load", mib(r.number("memory.rss_end")), "", "", "",
                ""));
        // issue 10: speaker profiles
        if (r.has("profiles.cpu_flags")) {
            rows.add(new Row("10 profiles", "CPU of the search figures", r.get("profiles.cpu") + ": "
                    + r.get("profiles.cpu_flags"), "", "", "", ""));
        }
        for (int n : new int[]{10_000, 100_000, 1_000_000}) {
            String k = "profiles.search." + n + ".";
            if (r.has(k + "two_threads_median_ms")) {
                double med = r.number(k + "two_threads_median_ms");
                double target = n == 100_000 ? 5 : n == 1_000_000 ? 50 : Double.NaN;
                rows.add(new Row("10 profiles", String.format(Locale.ROOT,
                        "search alone among %,d, 2 threads: median / p95 (min)", n),
                        String.format(Locale.ROOT, "%s / %s (%s)", ms(med), ms(r.number(k + "two_threads_p95_ms")),
                                ms(r.number(k + "two_threads_min_ms"))),
                        "1 thread: " + ms(r.number(k + "one_thread_median_ms")),
                        x(r.number(k + "one_thread_median_ms") / med),
                        Double.isNaN(target) ? "" : "< " + ms(target),
                        Double.isNaN(target) ? "" : met(med < target, med)));
                rows.add(new Row("10 profiles", String.format(Locale.ROOT, "heap per profile in process (%,d)", n),
                        String.format(Locale.ROOT, "%.0f B", r.number(k + "heap_bytes_per_profile")),
                        String.format(Locale.ROOT, "matrix %.0f B", r.number(k + "matrix_bytes_per_profile")), "",
                        "", ""));
            }
            String e = "profiles.server." + n + ".";
            if (r.has(e + "identify_median_ms")) {
                rows.add(new Row("10 profiles", String.format(Locale.ROOT,
                        "POST /v1/identify among %,d (3 s WAV): median / p95", n),
                        ms(r.number(e + "identify_median_ms")) + " / " + ms(r.number(e + "identify_p95_ms")),
                        "POST /v1/embeddings, same WAV: " + ms(r.number(e + "embed_median_ms")),
                        String.format(Locale.ROOT, "+%.1f ms", r.number(e + "identify_median_ms")
                                - r.number(e + "embed_median_ms")), "", ""));
                rows.add(new Row("10 profiles", String.format(Locale.ROOT,
                        "server with %,d from PostgreSQL: index load (log), launch to first identify", n),
                        s(r.number(e + "index_load_log_ms")) + ", " + s(r.number(e + "first_identify_ms")),
                        "launch to ready: " + s(r.number(e + "ready_ms")), "", "", ""));
                rows.add(new Row("10 profiles", String.format(Locale.ROOT,
                        "server heap / RSS per profile (%,d, vs. empty)", n),
                        String.format(Locale.ROOT, "%.0f B / %.0f B", r.number(e + "heap_bytes_per_profile"),
                                r.number(e + "rss_bytes_per_profile")), "", "", "", ""));
            }
        }
        return rows;
    }

    /** Two panels: latency (p50, p99) and throughput against concurrent clients, with the in-process marks. */
    static void plot(BenchUtil.Results r, Path png) throws IOException {
        int width = 1200;
        int height = 520;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        List<Integer> levels = new ArrayList<>();
        List<double[]> lat = new ArrayList<>();
        List<Double> tput = new ArrayList<>();
        for (int c : LEVELS) {
            if (r.has("http.c" + c + ".rps")) {
                levels.add(c);
                lat.add(new double[]{r.number("http.c" + c + ".p50_ms"), r.number("http.c" + c + ".p99_ms")});
                tput.add(r.number("http.c" + c + ".rps"));
            }
        }
        double inproc = r.number("inproc.3s.pipeline_ms");
        double best = r.number("inproc.tput.best_rps");
        double maxLat = inproc;
        for (double[] l : lat) {
            maxLat = Math.max(maxLat, l[1]);
        }
        double maxTput = Double.isNaN(best) ? 0 : best;
        for (double t : tput) {
            maxTput = Math.max(maxTput, t);
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.setColor(Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "Speaker embedding over HTTP, 3 s clips, %s cores, load average %.2f",
                r.get("suite.cores"), r.number("suite.load_before")), 20, 28);
        Panel left = new Panel(g, 70, 60, 500, 390, levels, niceMax(maxLat * 1.1), "latency (ms)");
        left.line(lat.stream().map(l -> l[0]).toList(), new Color(0x1f77b4), "p50");
        left.line(lat.stream().map(l -> l[1]).toList(), new Color(0xd62728), "p99");
        left.horizontal(inproc, new Color(0x2ca02c), String.format(Locale.ROOT, "in process %.1f ms", inproc));
        Panel right = new Panel(g, 670, 60, 500, 390, levels, niceMax(maxTput * 1.15), "throughput (requests/s)");
        right.line(tput, new Color(0x9467bd), "HTTP");
        right.horizontal(best, new Color(0x2ca02c), String.format(Locale.ROOT, "best in process %.1f/s", best));
        right.horizontal(0.9 * best, new Color(0xff7f0e), "90 % target");
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    private static double niceMax(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double step = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[]{1, 2, 2.5, 5, 10}) {
            if (m * step >= v) {
                return m * step;
            }
        }
        return 10 * step;
    }

    /** One chart area: x = client counts (equally spaced), y from 0 to {@code yMax}. */
    private static final class Panel {
        private final Graphics2D g;
        private final int x0;
        private final int y0;
        private final int w;
        private final int h;
        private final List<Integer> levels;
        private final double yMax;
        private int legend;

        Panel(Graphics2D g, int x0, int y0, int w, int h, List<Integer> levels, double yMax, String yLabel) {
            this.g = g;
            this.x0 = x0;
            this.y0 = y0;
            this.w = w;
            this.h = h;
            this.levels = levels;
            this.yMax = yMax;
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1f));
            g.drawRect(x0, y0, w, h);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (int i = 0; i <= 5; i++) {
                double v = yMax * i / 5;
                int y = py(v);
                g.setColor(new Color(0xdddddd));
                g.drawLine(x0 + 1, y, x0 + w - 1, y);
                g.setColor(Color.BLACK);
                g.drawString(String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.1f", v), x0 - 45, y + 4);
            }
            for (int i = 0; i < levels.size(); i++) {
                g.drawString(Integer.toString(levels.get(i)), px(i) - 3, y0 + h + 18);
            }
            g.drawString("concurrent clients", x0 + w / 2 - 50, y0 + h + 38);
            g.drawString(yLabel, x0, y0 - 8);
        }

        int px(int i) {
            return levels.size() <= 1 ? x0 + w / 2 : x0 + 30 + (w - 60) * i / (levels.size() - 1);
        }

        int py(double v) {
            return (int) Math.round(y0 + h - h * Math.min(v, yMax) / yMax);
        }

        void line(List<Double> values, Color color, String label) {
            g.setColor(color);
            g.setStroke(new BasicStroke(2.5f));
            for (int i = 0; i < values.size(); i++) {
                int x = px(i);
                int y = py(values.get(i));
                g.fillOval(x - 4, y - 4, 8, 8);
                if (i > 0) {
                    g.drawLine(px(i - 1), py(values.get(i - 1)), x, y);
                }
                g.drawString(String.format(Locale.ROOT, "%.1f", values.get(i)), x + 6, y - 6);
            }
            legend(color, label, false);
        }

        void horizontal(double v, Color color, String label) {
            if (Double.isNaN(v)) {
                return;
            }
            g.setColor(color);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{8f, 6f},
                    0f));
            g.drawLine(x0 + 1, py(v), x0 + w - 1, py(v));
            legend(color, label, true);
        }

        private void legend(Color color, String label, boolean dashed) {
            int y = y0 + 18 + 18 * legend++;
            g.setColor(color);
            g.setStroke(dashed ? new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[]{6f, 4f}, 0f) : new BasicStroke(2.5f));
            g.drawLine(x0 + 10, y - 4, x0 + 34, y - 4);
            g.setColor(Color.BLACK);
            g.drawString(label, x0 + 40, y);
        }
    }
}
