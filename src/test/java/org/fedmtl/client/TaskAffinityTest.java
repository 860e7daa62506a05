package org.fedmtl.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fedmtl.aggregation.ParameterLayout;
import org.fedmtl.data.ClientShard;
import org.fedmtl.model.ModelSpec;
import org.fedmtl.model.MultiTaskNetwork;
import org.fedmtl.tasks.TaskSpec;
import org.fedmtl.tasks.TaskType;
import org.junit.jupiter.api.Test;

/** Inter-task affinity: what it measures, and the same in both engines. */
class TaskAffinityTest {
  private static final List<TaskSpec> TASKS = DenseLocalTrainerTest.TASKS;
  private static final ModelSpec MODEL = DenseLocalTrainerTest.model("adam", 0.01, 0);
  private static final LocalTrainingSpec SPEC = new LocalTrainingSpec(1, 32, "dense");

  @Test
  void bothEnginesMeasureTheSame() {
    ClientShard data = DenseLocalTrainerTest.withSomeMissingSizes(
        LocalTrainerTest.shard("a", 40, 3, false));
    float[] global = network(TASKS).params().toFloatVector();
    int[] rows = TaskAffinity.batchRows(data, 16, 5);
    TaskAffinity.Probe dense = dense(TASKS).probe(data, rows);
    TaskAffinity.Probe dl4j = dl4j(TASKS).probe(data, rows);

    double[] denseLosses = dense.losses(global);
    double[] dl4jLosses = dl4j.losses(global);
    for (int t = 0; t < TASKS.size(); t++) {
      assertEquals(dl4jLosses[t], denseLosses[t], 1e-5 * dl4jLosses[t], "loss of task " + t);
      assertClose(dl4j.gradient(global, t), dense.gradient(global, t), 2e-5f);
    }
    double[] fromDense = measure(dense, global, 0.5, TASKS);
    double[] fromDl4j = measure(dl4j, global, 0.5, TASKS);
    for (int c = 0; c < fromDense.length; c++) {
      assertEquals(fromDl4j[c], fromDense[c], 1e-4, "cell " + c);
    }
  }

  @Test
  void aOneRowBatchIsMeasuredByBothEngines() {
    ClientShard one = LocalTrainerTest.shard("one", 1, 6, false);
    float[] global = network(TASKS).params().toFloatVector();
    int[] rows = TaskAffinity.batchRows(one, 32, 1);
    double[] fromDense = measure(dense(TASKS).probe(one, rows), global, 0.5, TASKS);
    double[] fromDl4j = measure(dl4j(TASKS).probe(one, rows), global, 0.5, TASKS);
    for (int c = 0; c < fromDense.length; c++) {
      assertTrue(Double.isFinite(fromDl4j[c]), Arrays.toString(fromDl4j));
      assertEquals(fromDl4j[c], fromDense[c], 1e-4, "cell " + c);
    }
  }

  @Test
  void aSmallStepGivesTheFirstOrderChangeOfEachLoss() {
    // For a small step eta, Z(i -> j) = eta grad_s L_i . grad_s L_j / L_j to first order.
    ClientShard data = LocalTrainerTest.shard("b", 30, 4, false);
    float[] global = network(TASKS).params().toFloatVector();
    TaskAffinity.Probe probe = dense(TASKS).probe(data, TaskAffinity.batchRows(data, 30, 1));
    double eta = 1e-3;
    double[] affinity = measure(probe, global, eta, TASKS);
    double[] losses = probe.losses(global);
    ParameterLayout.Group shared = backbone(TASKS);
    float[][] gradients = {probe.gradient(global, 0), probe.gradient(global, 1)};
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 2; j++) {
        double dot = 0;
        for (int r = 0; r < shared.starts().length; r++) {
          for (int k = shared.starts()[r]; k < shared.ends()[r]; k++) {
            dot += (double) gradients[i][k] * gradients[j][k];
          }
        }
        double firstOrder = eta * dot / losses[j];
        assertEquals(firstOrder, affinity[i * 2 + j], 0.05 * Math.abs(firstOrder) + 1e-7,
            "Z(" + i + " -> " + j + ")");
      }
      assertTrue(affinity[i * 2 + i] > 0, "a step on a task lowers its own loss");
    }
  }

  @Test
  void pairsWithoutLabelsOrWithoutTrainingAreNotMeasured() {
    ClientShard data = LocalTrainerTest.shard("c", 20, 2, false);
    float[] noSizes = new float[data.rows()];
    Arrays.fill(noSizes, Float.NaN);
    ClientShard unlabelled = new ClientShard("c", 0, data.featureSize(), data.features(),
        new float[][] {data.labels(0), noSizes});
    float[] global = network(TASKS).params().toFloatVector();
    int[] rows = TaskAffinity.batchRows(unlabelled, 20, 3);

    double[] affinity = measure(dense(TASKS).probe(unlabelled, rows), global, 0.1, TASKS);
    assertTrue(affinity[0] > 0, "colour -> colour");
    assertTrue(Double.isNaN(affinity[1]) && Double.isNaN(affinity[2])
        && Double.isNaN(affinity[3]), Arrays.toString(affinity));

    List<TaskSpec> colourUntrained = List.of(
        new TaskSpec("colour", TaskType.CLASSIFICATION, 3, "c", 0),
        new TaskSpec("size", TaskType.REGRESSION, 1, "s", 1));
    double[] untrained = measure(dense(colourUntrained).probe(data, rows), global, 0.1,
        colourUntrained);
    assertTrue(Double.isNaN(untrained[0]) && Double.isNaN(untrained[1]), "no step on colour");
    assertTrue(Double.isFinite(untrained[2]) && untrained[3] > 0, Arrays.toString(untrained));
  }

  @Test
  void theBatchIsAShuffledPrefixOfTheClientsRows() {
    ClientShard data = LocalTrainerTest.shard("d", 50, 1, false);
    int[] rows = TaskAffinity.batchRows(data, 16, 11);
    assertEquals(16, rows.length);
    assertEquals(16, Arrays.stream(rows).distinct().count());
    assertArrayEquals(rows, TaskAffinity.batchRows(data, 16, 11));
    assertTrue(!Arrays.equals(rows, TaskAffinity.batchRows(data, 16, 12)));
    assertEquals(50, TaskAffinity.batchRows(data, 64, 11).length, "at most the client's rows");
  }

  private static double[] measure(TaskAffinity.Probe probe, float[] global, double eta,
      List<TaskSpec> tasks) {
    ParameterLayout.Group shared = backbone(tasks);
    return TaskAffinity.measure(probe, global, shared.starts(), shared.ends(), eta, tasks);
  }

  private static ParameterLayout.Group backbone(List<TaskSpec> tasks) {
    return MultiTaskNetwork.layout(network(tasks), tasks).groups().stream()
        .filter(g -> g.name().equals(MultiTaskNetwork.BACKBONE_GROUP)).findFirst().orElseThrow();
  }

  private static ComputationGraph network(List<TaskSpec> tasks) {
    return MultiTaskNetwork.create(MODEL, tasks, 8);
  }

  private static LocalTrainer dl4j(List<TaskSpec> tasks) {
    return new LocalTrainer(network(tasks), tasks, SPEC);
  }

  private static DenseLocalTrainer dense(List<TaskSpec> tasks) {
    return new DenseLocalTrainer(MultiTaskNetwork.denseTopology(network(tasks), MODEL, tasks),
        tasks, SPEC, MODEL.optimizer(), MODEL.learningRate());
  }

  private static void assertClose(float[] expected, float[] actual, float tolerance) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tolerance, "parameter " + i);
    }
  }
}
