package org.fedmtl.report;

import static org.fedmtl.report.ReportPage.escape;
import static org.fedmtl.report.ReportPage.format;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.fedmtl.InvalidInputException;

/**
 * One page comparing runs, such as variants of an experiment (aggregators, server optimizers,
 * loss weights, seeds, clients per round), built from their run folders' files.
 */
public final class RunComparison {
  private RunComparison() {}

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
    Path parent = target.toAbsolutePath().getParent();
    if (!Files.isDirectory(parent)) {
      throw new InvalidInputException("report --compare: folder " + parent + " does not exist");
    }
    if (Files.isRegularFile(parent.resolve(RunDirectory.HISTORY)) && Files.exists(target)) {
      throw new InvalidInputException("report --compare: " + target + " is a file of the run in "
          + parent + "; write the comparison elsewhere");
    }
    if (runs.size() < 2) {
      throw new InvalidInputException("report --compare: give at least two run folders");
    }
    if (runs.stream().map(r -> r.toAbsolutePath().normalize()).distinct().count() < runs.size()) {
      throw new InvalidInputException("report --compare: a run folder is given twice");
    }
    Map<String, RunReport.History> histories = new LinkedHashMap<>();
    Map<String, Map<String, Object>> summaries = new LinkedHashMap<>();
    Map<String, Map<String, String>> settings = new LinkedHashMap<>();
    for (Path run : runs) {
      Path historyFile = RunReport.historyOf(run);
      String label = run.toAbsolutePath().normalize().getFileName().toString();
      while (histories.containsKey(label)) {
        label = label + "'";
      }
      histories.put(label, RunReport.History.read(historyFile));
      summaries.put(label, RunReport.readSummary(run.resolve(RunDirectory.SUMMARY)));
      settings.put(label, readSettings(run.resolve(RunDirectory.CONFIG)));
    }
    Map<String, String> differences = differences(settings);

    ReportPage page = ReportPage.titled("comparison of " + runs.size() + " runs");
    page.append("<h1>Comparison of ").append(runs.size()).append(" runs</h1>\n");
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
      RunReport.History history = histories.get(run.getKey());
      page.append("<tr><td>").append(escape(run.getKey())).append("</td><td>")
          .append(escape(differences.get(run.getKey()))).append("</td>");
      if (summary.isEmpty()) {
        // A run still going or stopped: what its history holds so far.
        List<double[]> rounds = history.series().get("round");
        page.append("<td>").append(rounds.isEmpty() ? "0"
            : format(rounds.get(rounds.size() - 1)[1])).append(" so far</td><td>")
            .append(escape(settings.get(run.getKey()).getOrDefault("seed", ""))).append("</td>")
            .append("<td></td>");
        for (String metric : metrics) {
          List<double[]> values = history.series().getOrDefault(metric, List.of());
          page.append("<td>").append(values.isEmpty() ? ""
              : format(values.get(values.size() - 1)[1]) + " / ").append("</td>");
        }
      } else {
        for (String key : List.of("rounds", "seed", "wall_seconds")) {
          page.append("<td>").append(escape(format(summary.get(key)))).append("</td>");
        }
        for (String metric : metrics) {
          page.append("<td>").append(escape(finalAndBest(summary, metric))).append("</td>");
        }
      }
      page.append("</tr>\n");
    }
    page.append("</table>\n<p class=\"note\">Final / best value of each metric; a run that has "
        + "not finished shows its rounds so far and its last value. Settings not set in a run's "
        + "configuration show as (not set).</p>\n");

    page.append("<h2>Training loss</h2>\n");
    page.lineChart("training loss", "loss", byRun(histories, "train_loss"), false);
    for (String metric : metrics) {
      page.append("<h2>").append(escape(metric)).append("</h2>\n");
      page.lineChart(metric + " on the test data", "", byRun(histories, metric), false);
    }
    page.append("</body>\n</html>\n");
    page.writeTo(target);
    return target;
  }

  /** A run's configuration as key paths and rendered values; empty when it has none. */
  private static Map<String, String> readSettings(Path file) {
    Map<String, String> settings = new TreeMap<>();
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
    Set<String> keys = new TreeSet<>();
    settings.values().forEach(s -> keys.addAll(s.keySet()));
    keys.remove("output.dir");
    keys.removeIf(key -> settings.values().stream().map(s -> s.get(key)).distinct().count() == 1);
    Map<String, String> differences = new LinkedHashMap<>();
    settings.forEach((run, values) -> differences.put(run, keys.stream()
        .map(key -> key + "=" + values.getOrDefault(key, "(not set)"))
        .collect(Collectors.joining("; "))));
    return differences;
  }

  /** One line per run: its values of {@code column}. */
  private static Map<String, List<double[]>> byRun(Map<String, RunReport.History> histories,
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

}
