package org.fedmtl.report;

import static org.fedmtl.report.ReportPage.escape;
import static org.fedmtl.report.ReportPage.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.fedmtl.InvalidInputException;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
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

  private RunReport() {}

  /**
   * Draws and encodes a small chart, so that the fonts, Java2D and the PNG encoder are loaded
   * (most of the first report's cost) while the caller does other work. Never throws: where
   * charts cannot be drawn, writing the report says why.
   */
  public static void warmUp() {
    try {
      ReportPage page = ReportPage.titled("warm-up");
      page.lineChart("warm-up", "", Map.of("warm-up", List.of(new double[] {1, 1},
          new double[] {2, 2})), false);
      page.html();
    } catch (RuntimeException | LinkageError | java.awt.AWTError | InternalError e) {
      // InternalError: what a JDK without fonts throws when Java2D first needs one.
    }
  }

  /**
   * Writes {@code report.html} into the run folder {@code folder}, replacing an earlier one
   * atomically; returns its path.
   *
   * @throws InvalidInputException when the folder holds no readable {@code history.csv}
   */
  public static Path write(Path folder) {
    Path historyFile = historyOf(folder);
    History history = History.read(historyFile);
    Map<String, Object> summary = readSummary(folder.resolve(RunDirectory.SUMMARY));
    Path target = folder.resolve(FILE);
    render(folder, history, summary).writeTo(target);
    return target;
  }

  /** The {@code history.csv} of run folder {@code folder}, which must exist. */
  static Path historyOf(Path folder) {
    if (!Files.exists(folder)) {
      throw new InvalidInputException("report: " + folder + " does not exist");
    }
    Path history = folder.resolve(RunDirectory.HISTORY);
    if (!Files.isRegularFile(history)) {
      throw new InvalidInputException("report: " + folder + " holds no " + RunDirectory.HISTORY
          + "; it is not a run folder");
    }
    return history;
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
  static Map<String, Object> readSummary(Path file) {
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

  private static ReportPage render(Path folder, History history, Map<String, Object> summary) {
    String name = String.valueOf(summary.getOrDefault("name", folder.getFileName()));
    ReportPage page = ReportPage.titled(name);
    page.append("<h1>").append(escape(name)).append("</h1>\n");
    appendSettings(page, folder, summary);
    appendMetricTable(page, summary, history);

    List<double[]> loss = history.series().getOrDefault("train_loss", List.of());
    page.append("<h2>Training loss</h2>\n<p class=\"note\">Mean weighted multi-task loss of the "
        + "round's clients in their local training.</p>\n");
    page.lineChart("training loss", "loss", Map.of("train_loss", loss), false);
    for (Map.Entry<String, List<String>> task : history.metricsByTask().entrySet()) {
      Map<String, List<double[]>> lines = new LinkedHashMap<>();
      for (String column : task.getValue()) {
        lines.put(column.substring(task.getKey().length() + 1), history.series().get(column));
      }
      page.append("<h2>Task ").append(escape(task.getKey())).append("</h2>\n");
      page.lineChart("task " + task.getKey() + " on the test data", "", lines, false);
    }
    appendAffinity(page, history);
    page.append("<h2>Participation</h2>\n<p class=\"note\">Clients whose update each round "
        + "used (sampled clients less those skipped).</p>\n");
    page.lineChart("clients per round", "clients",
        Map.of("clients", history.series().getOrDefault("clients", List.of())), true);
    appendParticipation(page, summary);
    appendConfiguration(page, folder.resolve(RunDirectory.CONFIG));
    page.append("</body>\n</html>\n");
    return page;
  }

  /** The run's whole configuration (config.conf), folded away under its heading. */
  private static void appendConfiguration(ReportPage page, Path file) {
    if (!Files.isRegularFile(file)) {
      return;
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidInputException("report: cannot read " + file + ": " + e.getMessage(), e);
    }
    page.append("<h2>Configuration</h2>\n<details><summary>config.conf: every setting of the "
        + "run</summary>\n<pre>").append(escape(text)).append("</pre>\n</details>\n");
  }

  private static void appendSettings(ReportPage page, Path folder, Map<String, Object> summary) {
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

  /**
   * The final and best value of every metric, from the summary; for a run that has not finished,
   * the last value its history holds.
   */
  private static void appendMetricTable(ReportPage page, Map<String, Object> summary,
      History history) {
    if (!(summary.get("metrics") instanceof Map<?, ?> metrics) || metrics.isEmpty()) {
      List<String> columns = new ArrayList<>();
      history.metricsByTask().values().forEach(columns::addAll);
      if (columns.isEmpty()) {
        return;
      }
      page.append("<h2>Metrics so far</h2>\n<table>\n<tr><th>metric</th><th>last</th>"
          + "<th>round</th></tr>\n");
      for (String column : columns) {
        List<double[]> values = history.series().get(column);
        double[] last = values.isEmpty() ? null : values.get(values.size() - 1);
        page.append("<tr><td>").append(escape(column)).append("</td><td>")
            .append(last == null ? "" : format(last[1])).append("</td><td>")
            .append(last == null ? "" : format(last[0])).append("</td></tr>\n");
      }
      page.append("</table>\n");
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
  private static void appendAffinity(ReportPage page, History history) {
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
    if (means.values().stream().allMatch(mean -> Double.isNaN(mean))) {
      page.append("<h2>Task affinity</h2>\n<p class=\"note\">Not measured in any recorded round "
          + "(analysis.task-affinity-every is larger than the rounds so far, or no client's "
          + "batch held the tasks' labels).</p>\n");
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
      page.lineChart("affinity between tasks", "affinity", crossPairs, false);
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

  private static void appendParticipation(ReportPage page, Map<String, Object> summary) {
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
    renderer.setSeriesPaint(0, ReportPage.PALETTE[0]);
    ReportPage.style(chart);
    ((NumberAxis) chart.getXYPlot().getRangeAxis()).setStandardTickUnits(
        NumberAxis.createIntegerTickUnits());
    chart.getXYPlot().getDomainAxis().setLowerBound(-0.5);
    page.chart(chart, "client participation");
  }
}
