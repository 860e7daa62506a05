package org.fedmtl.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.fedmtl.InvalidInputException;
import org.fedmtl.TemporaryFiles;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A run's {@code report.html}: one self-contained page (charts embedded as PNG images) with the
 * run's settings, the final and best value of every task metric, the training loss and each
 * task's metrics over the rounds, task affinity (when measured), the clients whose updates each
 * round used, and how often each client was sampled. Built from the run folder's
 * {@code history.csv} and {@code summary.json} alone, so it can be rebuilt for any run folder.
 */
public final class RunReport {
  public static final String FILE = "report.html";
  /** History columns of task affinity are named {@code affinity:<from>-><to>}. */
  static final String AFFINITY_PREFIX = "affinity:";

  /** Chart size on the page, in CSS pixels; drawn at twice that for sharp high-DPI display. */
  private static final int WIDTH = 640;
  private static final int HEIGHT = 300;
  private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728),
      new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b)};

  static {
    // Charts are drawn off screen; without this, AWT looks for a display where one is set.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private RunReport() {}

  /**
   * Draws and encodes a small chart, so that the fonts, Java2D and the PNG encoder are loaded
   * (most of the first report's cost) while the caller does other work.
   */
  public static void warmUp() {
    XYSeries series = new XYSeries("warm-up");
    series.add(1, 1);
    series.add(2, 2);
    Chart chart = new Chart(ChartFactory.createXYLineChart("warm-up", "round", "",
        new XYSeriesCollection(series), PlotOrientation.VERTICAL, true, false, false), "");
    chart.imageTag();
  }

  /**
   * Writes {@code report.html} into the run folder {@code folder}, replacing an earlier one
   * atomically; returns its path.
   *
   * @throws InvalidInputException when the folder holds no readable {@code history.csv}
   */
  public static Path write(Path folder) {
    Path historyFile = folder.resolve(RunDirectory.HISTORY);
    if (!Files.isRegularFile(historyFile)) {
      throw new InvalidInputException("report: " + folder + " holds no " + RunDirectory.HISTORY
          + "; it is not a run folder");
    }
    History history = History.read(historyFile);
    Map<String, Object> summary = readSummary(folder.resolve(RunDirectory.SUMMARY));
    Path target = folder.resolve(FILE);
    writeAtomically(target, render(folder, history, summary));
    return target;
  }

  /** Writes {@code html} to a temporary file beside {@code target}, then renames it. */
  private static void writeAtomically(Path target, String html) {
    Path folder = target.toAbsolutePath().getParent();
    Path temporary = null;
    try {
      temporary = TemporaryFiles.create(folder, target.getFileName().toString());
      Files.writeString(temporary, html, StandardCharsets.UTF_8);
      RunDirectory.move(temporary, target);
    } catch (IOException e) {
      throw new InvalidInputException("report: cannot write " + target + " ("
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
    } finally {
      if (temporary != null) {
        try {
          Files.deleteIfExists(temporary);
        } catch (IOException e) {
          // Only a leftover temporary file; the page itself is in place or was never moved.
        }
      }
    }
  }

  /** The page's head and styles, up to the opening body tag. */
  private static String head(String title) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        + "<title>fedmtl: " + escape(title) + "</title>\n<style>\n"
        + "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:" + (WIDTH + 40)
        + "px;color:#222}\n"
        + "table{border-collapse:collapse;margin:1em 0}"
        + "td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:right}"
        + "td:first-child,th:first-child{text-align:left}\n"
        + "img{display:block;margin:.5em 0 1.5em}.note{color:#666}\n"
        + "</style>\n</head>\n<body>\n";
  }

  /**
   * Writes one page comparing runs (variants of an experiment: aggregators, loss weights, seeds,
   * clients per round) to {@code target}: a table of every run's settings and the final and best
   * value of each metric, and one chart per metric and for the training loss with a line per
   * run. Replaces an earlier page atomically; returns its path.
   *
   * @throws InvalidInputException when a folder is not a run folder or the target is a folder
   */
  public static Path compare(List<Path> runs, Path target) {
    if (Files.isDirectory(target)) {
      throw new InvalidInputException("report --compare: " + target + " is a folder; give the "
          + "file to write, e.g. comparison.html");
    }
    Map<String, History> histories = new LinkedHashMap<>();
    Map<String, Map<String, Object>> summaries = new LinkedHashMap<>();
    Map<String, Map<String, String>> settings = new LinkedHashMap<>();
    for (Path run : runs) {
      Path historyFile = run.resolve(RunDirectory.HISTORY);
      if (!Files.isRegularFile(historyFile)) {
        throw new InvalidInputException("report: " + run + " holds no " + RunDirectory.HISTORY
            + "; it is not a run folder");
      }
      String label = run.toAbsolutePath().normalize().getFileName().toString();
      while (histories.containsKey(label)) {
        label = label + "'";
      }
      histories.put(label, History.read(historyFile));
      summaries.put(label, readSummary(run.resolve(RunDirectory.SUMMARY)));
      settings.put(label, readSettings(run.resolve(RunDirectory.CONFIG)));
    }
    Map<String, String> differences = differences(settings);

    Page page = new Page();
    page.append(head("comparison of " + runs.size() + " runs"))
        .append("<h1>Comparison of ").append(runs.size()).append(" runs</h1>\n");
    List<String> metrics = new ArrayList<>();
    histories.values().forEach(h -> h.metricsByTask().values().forEach(columns -> columns
        .stream().filter(c -> !metrics.contains(c)).forEach(metrics::add)));
    page.append("<table>\n<tr><th>run</th><th>settings that differ</th><th>rounds</th>"
        + "<th>seed</th><th>wall seconds</th>");
    for (String metric : metrics) {
      page.append("<th>").append(escape(metric)).append(" final / best</th>");
    }
    page.append("</tr>\n");
    for (Map.Entry<String, Map<String, Object>> run : summaries.entrySet()) {
      Map<String, Object> summary = run.getValue();
      page.append("<tr><td>").append(escape(run.getKey())).append("</td><td>")
          .append(escape(differences.get(run.getKey()))).append("</td>");
      for (String key : List.of("rounds", "seed", "wall_seconds")) {
        page.append("<td>").append(escape(format(summary.get(key)))).append("</td>");
      }
      for (String metric : metrics) {
        page.append("<td>").append(escape(finalAndBest(summary, metric))).append("</td>");
      }
      page.append("</tr>\n");
    }
    page.append("</table>\n");

    page.append("<h2>Training loss</h2>\n");
    appendChart(page, "training loss", "loss", byRun(histories, "train_loss"), false);
    for (String metric : metrics) {
      page.append("<h2>").append(escape(metric)).append("</h2>\n");
      appendChart(page, metric + " on the test data", "", byRun(histories, metric), false);
    }
    page.append("</body>\n</html>\n");
    writeAtomically(target, page.html());
    return target;
  }

  /** A run's configuration as key paths and rendered values; empty when it has none. */
  private static Map<String, String> readSettings(Path file) {
    Map<String, String> settings = new java.util.TreeMap<>();
    if (!Files.isRegularFile(file)) {
      return settings;
    }
    try {
      flatten("", ConfigFactory.parseFile(file.toFile()).root(), settings);
    } catch (ConfigException e) {
      throw new InvalidInputException("report: cannot read " + file + ": " + e.getMessage(), e);
    }
    return settings;
  }

  /** Every leaf of {@code value} under its path: {@code a.b}, lists as {@code a[0].b}. */
  private static void flatten(String path, ConfigValue value, Map<String, String> leaves) {
    if (value instanceof ConfigObject object) {
      object.forEach((key, child) -> flatten(path.isEmpty() ? key : path + "." + key, child,
          leaves));
    } else if (value instanceof ConfigList list) {
      for (int i = 0; i < list.size(); i++) {
        flatten(path + "[" + i + "]", list.get(i), leaves);
      }
    } else {
      leaves.put(path, String.valueOf(value.unwrapped()));
    }
  }

  /**
   * Per run, its settings that are not the same in every run ({@code key=value; ...}), the run
   * folder left out.
   */
  static Map<String, String> differences(Map<String, Map<String, String>> settings) {
    java.util.Set<String> keys = new java.util.TreeSet<>();
    settings.values().forEach(s -> keys.addAll(s.keySet()));
    keys.remove("output.dir");
    keys.removeIf(key -> settings.values().stream().map(s -> s.get(key)).distinct().count() == 1);
    Map<String, String> differences = new LinkedHashMap<>();
    settings.forEach((run, values) -> differences.put(run, keys.stream()
        .map(key -> key + "=" + values.getOrDefault(key, "(none)"))
        .collect(Collectors.joining("; "))));
    return differences;
  }

  /** One line per run: its values of {@code column}. */
  private static Map<String, List<double[]>> byRun(Map<String, History> histories,
      String column) {
    Map<String, List<double[]>> lines = new LinkedHashMap<>();
    histories.forEach((run, history) ->
        lines.put(run, history.series().getOrDefault(column, List.of())));
    return lines;
  }

  private static String finalAndBest(Map<String, Object> summary, String metric) {
    if (summary.get("metrics") instanceof Map<?, ?> metrics
        && metrics.get(metric) instanceof Map<?, ?> values && values.get("final") != null) {
      return format(values.get("final")) + " / " + format(values.get("best"));
    }
    return "";
  }

  /** The rounds of {@code history.csv}, column by column; empty cells are not evaluated. */
  record History(List<String> columns, Map<String, List<double[]>> series) {
    static History read(Path file) {
      Map<String, List<double[]>> series = new LinkedHashMap<>();
      List<String> columns;
      try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
          CSVParser parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
              .build().parse(reader)) {
        columns = parser.getHeaderNames();
        if (!columns.contains("round")) {
          throw new InvalidInputException("report: " + file + " has no 'round' column");
        }
        columns.forEach(column -> series.put(column, new ArrayList<>()));
        for (CSVRecord record : parser) {
          double round = number(record, "round", file);
          for (String column : columns) {
            if (record.isSet(column) && !record.get(column).isEmpty()) {
              double value = number(record, column, file);
              // An infinite value (a diverged loss, say) cannot be drawn; it stays in the table.
              if (Double.isFinite(value)) {
                series.get(column).add(new double[] {round, value});
              }
            }
          }
        }
      } catch (IOException | IllegalArgumentException | IllegalStateException e) {
        throw new InvalidInputException("report: cannot read " + file + ": " + e.getMessage(),
            e);
      }
      return new History(columns, series);
    }

    private static double number(CSVRecord record, String column, Path file) {
      String text = record.get(column);
      try {
        return Double.parseDouble(text);
      } catch (NumberFormatException e) {
        throw new InvalidInputException("report: " + file + " line "
            + (record.getRecordNumber() + 1) + ": '" + text + "' in column '" + column
            + "' is not a number");
      }
    }

    /** The metric columns ({@code <task>.<metric>}) by task, in column order. */
    Map<String, List<String>> metricsByTask() {
      Map<String, List<String>> byTask = new LinkedHashMap<>();
      for (String column : columns) {
        int dot = column.lastIndexOf('.');
        if (dot > 0) {
          byTask.computeIfAbsent(column.substring(0, dot), t -> new ArrayList<>()).add(column);
        }
      }
      return byTask;
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> readSummary(Path file) {
    if (!Files.isRegularFile(file)) {
      return Map.of();
    }
    try {
      Object summary = new ObjectMapper().readValue(file.toFile(), Object.class);
      if (!(summary instanceof Map)) {
        throw new InvalidInputException("report: " + file + " is not a JSON object");
      }
      return (Map<String, Object>) summary;
    } catch (IOException e) {
      throw new InvalidInputException("report: cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static String render(Path folder, History history, Map<String, Object> summary) {
    String name = String.valueOf(summary.getOrDefault("name", folder.getFileName()));
    Page page = new Page();
    page.append(head(name)).append("<h1>").append(escape(name)).append("</h1>\n");
    appendSettings(page, folder, summary);
    appendMetricTable(page, summary);

    List<double[]> loss = history.series().getOrDefault("train_loss", List.of());
    page.append("<h2>Training loss</h2>\n<p class=\"note\">Mean weighted multi-task loss of the "
        + "round's clients in their local training.</p>\n");
    appendChart(page, "training loss", "loss", Map.of("train_loss", loss), false);
    for (Map.Entry<String, List<String>> task : history.metricsByTask().entrySet()) {
      Map<String, List<double[]>> lines = new LinkedHashMap<>();
      for (String column : task.getValue()) {
        lines.put(column.substring(task.getKey().length() + 1), history.series().get(column));
      }
      page.append("<h2>Task ").append(escape(task.getKey())).append("</h2>\n");
      appendChart(page, "task " + task.getKey() + " on the test data", "", lines, false);
    }
    appendAffinity(page, history);
    page.append("<h2>Participation</h2>\n<p class=\"note\">Clients whose update each round "
        + "used (sampled clients less those skipped).</p>\n");
    appendChart(page, "clients per round", "clients",
        Map.of("clients", history.series().getOrDefault("clients", List.of())), true);
    appendParticipation(page, summary);
    page.append("</body>\n</html>\n");
    return page.html();
  }

  /** The page's HTML with places for its charts, which are drawn together at the end. */
  private static final class Page {
    private final List<Object> parts = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();

    Page append(Object value) {
      text.append(value);
      return this;
    }

    void chart(JFreeChart chart, String alt) {
      parts.add(text.toString());
      text.setLength(0);
      parts.add(new Chart(chart, alt));
    }

    /** The HTML, the charts drawn in parallel (drawing and PNG encoding are most of the cost). */
    String html() {
      parts.add(text.toString());
      return parts.parallelStream()
          .map(part -> part instanceof Chart chart ? chart.imageTag() : (String) part)
          .collect(Collectors.joining());
    }
  }

  private record Chart(JFreeChart chart, String alt) {
    String imageTag() {
      BufferedImage image = chart.createBufferedImage(2 * WIDTH, 2 * HEIGHT, WIDTH, HEIGHT, null);
      byte[] png;
      try {
        png = ChartUtils.encodeAsPNG(image);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot encode the chart '" + alt + "'", e);
      }
      return "<img width=\"" + WIDTH + "\" height=\"" + HEIGHT + "\" alt=\"" + escape(alt)
          + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\">\n";
    }
  }

  private static void appendSettings(Page page, Path folder, Map<String, Object> summary) {
    if (summary.isEmpty()) {
      page.append("<p class=\"note\">").append(escape(folder.toString()))
          .append(": no summary.json (the run has not finished); the charts show the rounds "
              + "recorded so far.</p>\n");
      return;
    }
    page.append("<table>\n");
    for (String key : List.of("rounds", "clients", "clients_per_round", "parameters", "seed",
        "wall_seconds", "seconds_per_round", "bytes_moved", "skipped_clients", "config_digest")) {
      Object value = summary.get(key);
      if (value != null) {
        page.append("<tr><td>").append(key.replace('_', ' ')).append("</td><td>")
            .append(escape(format(value))).append("</td></tr>\n");
      }
    }
    if (summary.get("versions") instanceof Map<?, ?> versions) {
      StringBuilder text = new StringBuilder();
      versions.forEach((k, v) -> text.append(text.isEmpty() ? "" : ", ").append(k).append(' ')
          .append(v));
      page.append("<tr><td>versions</td><td>").append(escape(text.toString()))
          .append("</td></tr>\n");
    }
    page.append("</table>\n");
  }

  private static void appendMetricTable(Page page, Map<String, Object> summary) {
    if (!(summary.get("metrics") instanceof Map<?, ?> metrics) || metrics.isEmpty()) {
      return;
    }
    page.append("<h2>Metrics</h2>\n<table>\n<tr><th>metric</th><th>final</th><th>round</th>"
        + "<th>best</th><th>round</th></tr>\n");
    metrics.forEach((metric, entry) -> {
      if (entry instanceof Map<?, ?> values) {
        page.append("<tr><td>").append(escape(String.valueOf(metric))).append("</td>");
        for (String key : List.of("final", "final_round", "best", "best_round")) {
          page.append("<td>").append(escape(format(values.get(key)))).append("</td>");
        }
        page.append("</tr>\n");
      }
    });
    page.append("</table>\n");
  }

  /**
   * Task affinity: the mean over the measured rounds of each ordered pair as a table, shaded by
   * sign and size, and the pairs of different tasks over the rounds.
   */
  private static void appendAffinity(Page page, History history) {
    List<String> tasks = new ArrayList<>();
    Map<String, Double> means = new LinkedHashMap<>();
    Map<String, List<double[]>> crossPairs = new LinkedHashMap<>();
    for (String column : history.columns()) {
      if (!column.startsWith(AFFINITY_PREFIX) || !column.contains("->")) {
        continue;
      }
      String[] pair = column.substring(AFFINITY_PREFIX.length()).split("->", 2);
      if (!tasks.contains(pair[0])) {
        tasks.add(pair[0]);
      }
      List<double[]> values = history.series().get(column);
      means.put(column, values.stream().mapToDouble(v -> v[1]).average().orElse(Double.NaN));
      if (!pair[0].equals(pair[1])) {
        crossPairs.put(pair[0] + " \u2192 " + pair[1], values);
      }
    }
    if (means.isEmpty()) {
      return;
    }
    double scale = 0;
    for (double mean : means.values()) {
      scale = Double.isNaN(mean) ? scale : Math.max(scale, Math.abs(mean));
    }
    page.append("<h2>Task affinity</h2>\n<p class=\"note\">How a step of the shared layers on "
        + "the row's task changes the column's task's loss (Fifty et al., NeurIPS 2021): "
        + "1 - loss after / loss before, measured by the sampled clients at the global model; "
        + "positive (green): the row's task helps the column's, negative (red): it hurts it. "
        + "Mean over the measured rounds.</p>\n<table>\n<tr><th>from \\ to</th>");
    for (String to : tasks) {
      page.append("<th>").append(escape(to)).append("</th>");
    }
    page.append("</tr>\n");
    for (String from : tasks) {
      page.append("<tr><td>").append(escape(from)).append("</td>");
      for (String to : tasks) {
        double mean = means.getOrDefault(AFFINITY_PREFIX + from + "->" + to, Double.NaN);
        page.append("<td style=\"background:").append(shade(mean, scale)).append("\">")
            .append(Double.isNaN(mean) ? "" : String.format(Locale.ROOT, "%.3g", mean))
            .append("</td>");
      }
      page.append("</tr>\n");
    }
    page.append("</table>\n");
    if (!crossPairs.isEmpty()) {
      appendChart(page, "affinity between tasks", "affinity", crossPairs, false);
    }
  }

  /** Green for positive, red for negative, the stronger the larger |value| is against scale. */
  static String shade(double value, double scale) {
    if (Double.isNaN(value) || scale == 0) {
      return "#ffffff";
    }
    int fade = (int) Math.round(255 - 140 * Math.min(1, Math.abs(value) / scale));
    return value >= 0 ? String.format("#%02xff%02x", fade, fade)
        : String.format("#ff%02x%02x", fade, fade);
  }

  private static void appendParticipation(Page page, Map<String, Object> summary) {
    if (!(summary.get("client_participation") instanceof List<?> rows) || rows.isEmpty()) {
      return;
    }
    XYSeries clients = new XYSeries("clients");
    for (Object row : rows) {
      if (row instanceof Map<?, ?> entry && entry.get("rounds") instanceof Number rounds
          && entry.get("clients") instanceof Number count) {
        clients.add(rounds.doubleValue(), count.doubleValue());
      }
    }
    page.append("<p class=\"note\">How many clients were sampled in how many rounds.</p>\n");
    JFreeChart chart = ChartFactory.createXYBarChart("client participation",
        "rounds a client was sampled in", false, "clients", new XYSeriesCollection(clients),
        PlotOrientation.VERTICAL, false, false, false);
    XYBarRenderer renderer = (XYBarRenderer) chart.getXYPlot().getRenderer();
    renderer.setBarPainter(new StandardXYBarPainter());
    renderer.setShadowVisible(false);
    renderer.setSeriesPaint(0, PALETTE[0]);
    style(chart);
    ((NumberAxis) chart.getXYPlot().getRangeAxis()).setStandardTickUnits(
        NumberAxis.createIntegerTickUnits());
    page.chart(chart, "client participation");
  }

  /** A line chart over the rounds, one line per entry of {@code lines}. */
  private static void appendChart(Page page, String title, String valueLabel,
      Map<String, List<double[]>> lines, boolean wholeValues) {
    XYSeriesCollection data = new XYSeriesCollection();
    int points = 0;
    for (Map.Entry<String, List<double[]>> line : lines.entrySet()) {
      XYSeries series = new XYSeries(line.getKey(), false, true);
      for (double[] point : line.getValue()) {
        series.add(point[0], point[1]);
      }
      points = Math.max(points, series.getItemCount());
      data.addSeries(series);
    }
    if (points == 0) {
      page.append("<p class=\"note\">No values recorded yet.</p>\n");
      return;
    }
    JFreeChart chart = ChartFactory.createXYLineChart(title, "round", valueLabel, data,
        PlotOrientation.VERTICAL, lines.size() > 1, false, false);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, points <= 60);
    for (int s = 0; s < lines.size(); s++) {
      renderer.setSeriesPaint(s, PALETTE[s % PALETTE.length]);
      renderer.setSeriesStroke(s, new BasicStroke(2f));
    }
    chart.getXYPlot().setRenderer(renderer);
    style(chart);
    NumberAxis values = (NumberAxis) chart.getXYPlot().getRangeAxis();
    values.setAutoRangeIncludesZero(wholeValues);
    if (wholeValues) {
      values.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    }
    page.chart(chart, title);
  }

  private static void style(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    plot.setOutlineVisible(false);
    ((NumberAxis) plot.getDomainAxis()).setStandardTickUnits(
        NumberAxis.createIntegerTickUnits());
  }

  private static String format(Object value) {
    if (value == null) {
      return "";
    }
    if (value instanceof Double || value instanceof Float) {
      double number = ((Number) value).doubleValue();
      return number == Math.rint(number) && Math.abs(number) < 1e15
          ? String.format(Locale.ROOT, "%.0f", number)
          : String.format(Locale.ROOT, "%.4g", number);
    }
    return String.valueOf(value);
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
