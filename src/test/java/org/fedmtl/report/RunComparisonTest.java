package org.fedmtl.report;

import static org.fedmtl.report.RunReportTest.HISTORY;
import static org.fedmtl.report.RunReportTest.SUMMARY;
import static org.fedmtl.report.RunReportTest.images;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedmtl.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A page comparing runs: the settings that differ, metrics side by side, a chart per metric. */
class RunComparisonTest {
  @TempDir
  Path run;

  @Test
  void runsAreComparedMetricByMetric() throws Exception {
    Path first = Files.createDirectories(run.resolve("fedavg"));
    Files.writeString(first.resolve(RunDirectory.HISTORY), HISTORY);
    Files.writeString(first.resolve(RunDirectory.SUMMARY), SUMMARY);
    Files.writeString(first.resolve(RunDirectory.CONFIG),
        "rounds = 4\nlocal { learning-rate = 0.01 }\noutput.dir = a\n"
        + "tasks = [{name = digit, loss-weight = 1}, {name = price, loss-weight = 1}]\n");
    Path second = Files.createDirectories(run.resolve("weighted"));
    Files.writeString(second.resolve(RunDirectory.CONFIG),
        "rounds = 4\nlocal { learning-rate = 0.1 }\noutput.dir = b\n"
        + "tasks = [{name = digit, loss-weight = 1}, {name = price, loss-weight = 0.5}]\n");
    Files.writeString(second.resolve(RunDirectory.HISTORY), """
        round,clients,seconds,train_loss,digit.accuracy,digit.f1,other.rmse,other.mae,bytes_moved
        1,3,0.1,1.9,0.55,0.5,1.0,0.9,100
        """);

    Path page = RunComparison.compare(List.of(first, second), run.resolve("comparison.html"));

    String html = Files.readString(page);
    assertTrue(html.contains("<tr><th>run</th><th>settings that differ</th><th>rounds</th>"
        + "<th>seed</th><th>wall seconds</th>"
        + "<th>digit.accuracy final / best</th><th>digit.f1 final / best</th>"
        + "<th>price.rmse final / best</th><th>price.mae final / best</th>"
        + "<th>other.rmse final / best</th><th>other.mae final / best</th></tr>"), html);
    assertTrue(html.contains("<tr><td>fedavg</td><td>local.learning-rate=0.01; "
        + "tasks[1].loss-weight=1</td><td>4</td>"
        + "<td>7</td><td>1.250</td>"
        + "<td>0.7000 / 0.7000</td><td></td><td>2 / 2</td>"), html);
    assertTrue(html.contains("<tr><td>weighted</td><td>local.learning-rate=0.1; "
        + "tasks[1].loss-weight=0.5</td><td>1 so far</td><td></td><td></td><td>0.5500 / </td>"),
        "a run without summary shows its history so far\n" + html);

    assertEquals(List.of("training loss", "digit.accuracy on the test data",
        "digit.f1 on the test data", "price.rmse on the test data", "price.mae on the test data",
        "other.rmse on the test data", "other.mae on the test data"),
        images(html).stream().map(i -> i[0]).toList());
    assertEquals("report --compare: " + run + " is a folder; give the file to write, e.g. "
        + "comparison.html", assertThrows(InvalidInputException.class,
            () -> RunComparison.compare(List.of(first), run)).getMessage());
  }

  @Test
  void aRunNotFinishedShowsItsRoundsAndLastValuesSoFar() throws Exception {
    Path finished = Files.createDirectories(run.resolve("finished"));
    Files.writeString(finished.resolve(RunDirectory.HISTORY), HISTORY);
    Files.writeString(finished.resolve(RunDirectory.SUMMARY), SUMMARY);
    Path stopped = Files.createDirectories(run.resolve("stopped"));
    Files.writeString(stopped.resolve(RunDirectory.HISTORY), HISTORY.lines().limit(4)
        .reduce("", (a, b) -> a + b + "\n"));
    Files.writeString(stopped.resolve(RunDirectory.CONFIG), "seed = 9\n");

    String html = Files.readString(RunComparison.compare(List.of(finished, stopped),
        run.resolve("comparison.html")));

    assertTrue(html.contains("<tr><td>stopped</td><td>seed=9</td><td>3 so far</td><td>9</td>"
        + "<td></td><td>0.5000 / </td><td>0.4000 / </td>"), html);
    assertTrue(html.contains("<tr><td>finished</td><td>seed=(not set)</td>"), html);
  }

  @Test
  void badRequestsAreNamed() throws Exception {
    Path first = Files.createDirectories(run.resolve("first"));
    Files.writeString(first.resolve(RunDirectory.HISTORY), HISTORY);
    Path second = Files.createDirectories(run.resolve("second"));
    Files.writeString(second.resolve(RunDirectory.HISTORY), HISTORY);
    Files.writeString(first.resolve("report.html"), "the run's own report");
    Path out = run.resolve("comparison.html");

    assertMessage("report --compare: give at least two run folders",
        () -> RunComparison.compare(List.of(first), out));
    assertMessage("report --compare: a run folder is given twice",
        () -> RunComparison.compare(List.of(first, first.resolve(".")), out));
    assertMessage("report --compare: folder " + run.resolve("absent") + " does not exist",
        () -> RunComparison.compare(List.of(first, second), run.resolve("absent/c.html")));
    assertMessage("report --compare: " + first.resolve("report.html") + " is a file of the run "
        + "in " + first + "; write the comparison elsewhere",
        () -> RunComparison.compare(List.of(first, second), first.resolve("report.html")));
    assertMessage("report: " + run.resolve("nowhere") + " does not exist",
        () -> RunComparison.compare(List.of(first, run.resolve("nowhere")), out));
    assertEquals("the run's own report", Files.readString(first.resolve("report.html")));
  }

  private static void assertMessage(String expected, Runnable action) {
    assertEquals(expected, assertThrows(InvalidInputException.class, action::run).getMessage());
  }

  @Test
  void aFolderThatIsNotARunIsNamed() throws Exception {
    Path empty = Files.createDirectories(run.resolve("empty"));
    assertEquals("report: " + empty + " holds no history.csv; it is not a run folder",
        assertThrows(InvalidInputException.class, () -> RunComparison.compare(List.of(empty,
            run), run.resolve("comparison.html"))).getMessage());
  }
}
