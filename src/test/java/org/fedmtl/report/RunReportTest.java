package org.fedmtl.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.fedmtl.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** report.html drawn from a run folder's history and summary. */
class RunReportTest {
  private static final Pattern IMAGE =
      Pattern.compile("alt=\"([^\"]*)\" src=\"data:image/png;base64,([^\"]+)\"");
  static final String HISTORY = """
      round,clients,seconds,train_loss,digit.accuracy,digit.f1,price.rmse,price.mae,bytes_moved
      1,3,0.1,2.0,,,,,100
      2,3,0.1,1.5,0.50,0.40,3.0,2.0,100
      3,2,0.1,1.2,,,,,100
      4,3,0.1,1.0,0.70,0.65,2.0,1.5,100
      """;
  private static final String HISTORY_WITH_AFFINITY = """
      round,clients,train_loss,a.accuracy,affinity:a->a,affinity:a->b,affinity:b->a,affinity:b->b
      1,3,2.0,0.5,0.02,0.004,-0.001,0.01
      2,3,1.5,0.6,0.04,0.002,-0.003,
      """;
  static final String SUMMARY = """
      {"name": "prices <&> digits", "rounds": 4, "clients": 5, "clients_per_round": 3,
       "seed": 7, "wall_seconds": 1.25,
       "metrics": {"digit.accuracy": {"final": 0.7, "final_round": 4, "best": 0.7,
                                      "best_round": 4},
                   "price.rmse": {"final": 2.0, "final_round": 4, "best": 2.0,
                                  "best_round": 4}},
       "client_participation": [{"rounds": 0, "clients": 0}, {"rounds": 1, "clients": 1},
                                {"rounds": 2, "clients": 2}, {"rounds": 3, "clients": 2}],
       "versions": {"fedmtl": "1.0", "java": "17"}}
      """;

  @TempDir
  Path run;

  @Test
  void drawsLossEachTaskAndParticipation() throws Exception {
    Files.writeString(run.resolve(RunDirectory.HISTORY), HISTORY);
    Files.writeString(run.resolve(RunDirectory.SUMMARY), SUMMARY);

    Path report = RunReport.write(run);

    assertEquals(run.resolve("report.html"), report);
    String html = Files.readString(report);
    List<String[]> images = images(html);
    assertEquals(List.of("training loss", "task digit on the test data",
        "task price on the test data", "clients per round", "client participation"),
        images.stream().map(i -> i[0]).toList());
    for (String[] image : images) {
      BufferedImage png = ImageIO.read(new ByteArrayInputStream(
          Base64.getDecoder().decode(image[1])));
      assertEquals(1280, png.getWidth(), image[0]);
      assertEquals(600, png.getHeight(), image[0]);
    }
    assertTrue(html.contains("<h1>prices &lt;&amp;&gt; digits</h1>"), "the name is escaped");
    assertTrue(html.contains("<tr><td>digit.accuracy</td><td>0.7000</td><td>4</td>"
        + "<td>0.7000</td><td>4</td></tr>"), html);
    assertTrue(html.contains("<tr><td>wall seconds</td><td>1.250</td></tr>"), html);
    assertTrue(html.contains("<tr><td>versions</td><td>fedmtl 1.0, java 17</td></tr>"), html);
  }

  @Test
  void taskAffinityIsATableOfMeansAndAChartOfTheCrossPairs() throws Exception {
    Files.writeString(run.resolve(RunDirectory.HISTORY), HISTORY_WITH_AFFINITY);
    String html = Files.readString(RunReport.write(run));
    assertTrue(html.contains("<tr><th>from \\ to</th><th>a</th><th>b</th></tr>"), html);
    assertTrue(html.contains("<tr><td>a</td><td style=\"background:#73ff73\">0.0300</td>"
        + "<td style=\"background:#f1fff1\">0.00300</td></tr>"), html);
    assertTrue(html.contains("<tr><td>b</td><td style=\"background:#fff6f6\">-0.00200</td>"
        + "<td style=\"background:#d0ffd0\">0.0100</td></tr>"), "b -> b has one round\n" + html);
    assertEquals(List.of("training loss", "task a on the test data", "affinity between tasks",
        "clients per round"), images(html).stream().map(i -> i[0]).toList());
    assertEquals("#ffffff", RunReport.shade(Double.NaN, 1));
  }

  @Test
  void evaluatedRoundsOnlyAndMetricsGroupedByTask() throws IOException {
    Path file = run.resolve(RunDirectory.HISTORY);
    Files.writeString(file, HISTORY);
    RunReport.History history = RunReport.History.read(file);
    assertEquals(4, history.series().get("train_loss").size());
    List<double[]> accuracy = history.series().get("digit.accuracy");
    assertEquals(List.of(2.0, 4.0), accuracy.stream().map(p -> p[0]).toList());
    assertEquals(List.of(0.5, 0.7), accuracy.stream().map(p -> p[1]).toList());
    assertEquals(List.of("digit", "price"), List.copyOf(history.metricsByTask().keySet()));
    assertEquals(List.of("price.rmse", "price.mae"), history.metricsByTask().get("price"));
  }

  @Test
  void aRunWithoutSummaryIsDrawnSoFar() throws Exception {
    Files.writeString(run.resolve(RunDirectory.HISTORY), HISTORY);
    Files.writeString(run.resolve(RunDirectory.CONFIG), "rounds = 4\nseed = <7>\n");
    String html = Files.readString(RunReport.write(run));
    assertTrue(html.contains("no summary.json (the run has not finished)"), html);
    assertTrue(html.contains("<h2>Metrics so far</h2>"), html);
    assertTrue(html.contains("<tr><td>price.rmse</td><td>2</td><td>4</td></tr>"), html);
    assertTrue(html.contains("<pre>rounds = 4\nseed = &lt;7&gt;\n</pre>"), "config.conf");
    assertEquals(4, images(html).size(), "no participation without the summary");
  }

  @Test
  void affinityNeverMeasuredIsSaid() throws Exception {
    Files.writeString(run.resolve(RunDirectory.HISTORY),
        "round,clients,train_loss,affinity:a->a,affinity:a->b,affinity:b->a,affinity:b->b\n"
            + "1,3,2.0,,,,\n2,3,1.5,,,,\n");
    String html = Files.readString(RunReport.write(run));
    assertTrue(html.contains("Not measured in any recorded round"), html);
    assertTrue(!html.contains("from \\ to"), "no empty table");
  }

  @Test
  void replacesAnEarlierReportAndLeavesNoTemporaryFile() throws Exception {
    Files.writeString(run.resolve(RunDirectory.HISTORY), HISTORY);
    Files.writeString(run.resolve("report.html"), "old");
    RunReport.write(run);
    assertNotEquals("old", Files.readString(run.resolve("report.html")));
    try (var files = Files.list(run)) {
      assertEquals(List.of("history.csv", "report.html"),
          files.map(f -> f.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void infiniteValuesAreLeftOutOfTheCharts() throws Exception {
    Files.writeString(run.resolve(RunDirectory.HISTORY), "round,clients,seconds,train_loss,"
        + "a.rmse,bytes_moved\n1,3,0.1,Infinity,,1\n2,3,0.1,1.0,Infinity,1\n3,3,0.1,0.5,2.0,1\n");
    RunReport.History history = RunReport.History.read(run.resolve(RunDirectory.HISTORY));
    assertEquals(2, history.series().get("train_loss").size());
    assertEquals(1, history.series().get("a.rmse").size());
    assertEquals(3, images(Files.readString(RunReport.write(run))).size());
  }

  @Test
  void aSummaryThatIsNotAnObjectIsNamed() throws Exception {
    Files.writeString(run.resolve(RunDirectory.HISTORY), HISTORY);
    Files.writeString(run.resolve(RunDirectory.SUMMARY), "null");
    InvalidInputException error = assertThrows(InvalidInputException.class,
        () -> RunReport.write(run));
    assertEquals("report: " + run.resolve("summary.json") + " is not a JSON object",
        error.getMessage());
  }

  @Test
  void aFolderWithoutHistoryIsNotARunFolder() {
    InvalidInputException error = assertThrows(InvalidInputException.class,
        () -> RunReport.write(run));
    assertEquals("report: " + run + " holds no history.csv; it is not a run folder",
        error.getMessage());
  }

  @Test
  void aCellThatIsNotANumberIsNamed() throws Exception {
    Files.writeString(run.resolve(RunDirectory.HISTORY),
        "round,clients,train_loss\n1,3,2.0\n2,3,lots\n");
    InvalidInputException error = assertThrows(InvalidInputException.class,
        () -> RunReport.write(run));
    assertEquals("report: " + run.resolve("history.csv") + " line 3: 'lots' in column "
        + "'train_loss' is not a number", error.getMessage());
  }

  static List<String[]> images(String html) {
    List<String[]> images = new ArrayList<>();
    Matcher matcher = IMAGE.matcher(html);
    while (matcher.find()) {
      images.add(new String[] {matcher.group(1), matcher.group(2)});
    }
    return images;
  }
}
