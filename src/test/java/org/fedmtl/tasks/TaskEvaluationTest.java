package org.fedmtl.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskEvaluationTest {

  @Test
  void accuracyAndMacroF1OfAKnownConfusionMatrix() {
    ConfusionMatrix matrix = new ConfusionMatrix(3);
    // true 0: predicted 0,0,1; true 1: predicted 1,1; true 2: predicted 0.
    int[][] pairs = {{0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 1}, {2, 0}};
    for (int[] pair : pairs) {
      matrix.add(pair[0], pair[1]);
    }

    assertEquals(4.0 / 6, matrix.accuracy(), 1e-15);
    // F1 class 0: TP 2, FP 1, FN 1 -> 4/6; class 1: TP 2, FP 1, FN 0 -> 4/5; class 2: 0.
    assertEquals((4.0 / 6 + 4.0 / 5 + 0) / 3, matrix.macroF1(), 1e-15);
  }

  @Test
  void macroF1SkipsClassesThatNeverOccur() {
    ConfusionMatrix matrix = new ConfusionMatrix(4);
    matrix.add(0, 0);
    matrix.add(1, 1);
    assertEquals(1.0, matrix.macroF1(), 1e-15);
    assertTrue(Double.isNaN(new ConfusionMatrix(2).accuracy()));
  }

  @Test
  void evaluationTakesArgmaxAndMergesBlocks() {
    List<TaskSpec> tasks = List.of(
        new TaskSpec("digit", TaskType.CLASSIFICATION, 3, "y", 1),
        new TaskSpec("price", TaskType.REGRESSION, 1, "p", 1));
    TaskEvaluation first = new TaskEvaluation(tasks);
    first.add(0, 2, new float[] {0.1f, 0.2f, 0.7f}, 0);
    first.add(1, 3.0, new float[] {1.0f}, 0);
    TaskEvaluation second = new TaskEvaluation(tasks);
    second.add(0, 0, new float[] {0.9f, 0.05f, 0.05f, 0.2f, 0.5f, 0.3f}, 3);
    second.add(1, -1.0, new float[] {0f, 0f}, 1);

    Map<String, Double> metrics = first.merge(second).metrics();

    assertEquals(List.of("digit.accuracy", "digit.f1", "price.rmse", "price.mae"),
        List.copyOf(metrics.keySet()));
    assertEquals(0.5, metrics.get("digit.accuracy"), 1e-15);
    assertEquals(Math.sqrt((4.0 + 1.0) / 2), metrics.get("price.rmse"), 1e-15);
    assertEquals(1.5, metrics.get("price.mae"), 1e-15);
    assertEquals(List.of("digit.accuracy", "digit.f1", "price.rmse", "price.mae"),
        TaskEvaluation.metricNames(tasks));
  }
}
