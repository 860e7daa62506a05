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
        + "tasks[1].loss-weight=0.5</td><td></td>"
        + "<td></td><td></td><td></td>"), html);
    assertEquals(List.of("training loss", "digit.accuracy on the test data",
        "digit.f1 on the test data", "price.rmse on the test data", "price.mae on the test data",
        "other.rmse on the test data", "other.mae on the test data"),
        images(html).stream().map(i -> i[0]).toList());
    assertEquals("report --compare: " + run + " is a folder; give the file to write, e.g. "
        + "comparison.html", assertThrows(InvalidInputException.class,
            () -> RunComparison.compare(List.of(first), run)).getMessage());
  }

  @Test
  void aFolderThatIsNotARunIsNamed() throws Exception {
    Path empty = Files.createDirectories(run.resolve("empty"));
    assertEquals("report: " + empty + " holds no history.csv; it is not a run folder",
        assertThrows(InvalidInputException.class, () -> RunComparison.compare(List.of(empty),
            run.resolve("comparison.html"))).getMessage());
  }
}
